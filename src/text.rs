//! Text edits: the one edit type of the crate. Rules, syntax helpers and the engine all describe
//! changes as [`Edit`]s over byte offsets; only the engine turns them into `ra_ap_text_edit`
//! edits, where fixes are merged and applied.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// Replace the bytes in `range` (offsets into the text the edit was made for) with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, replacement: impl Into<String>) -> Self {
        Edit {
            range,
            replacement: replacement.into(),
        }
    }

    pub fn insert(offset: usize, text: impl Into<String>) -> Self {
        Edit::replace(offset..offset, text)
    }

    pub fn delete(range: Range<usize>) -> Self {
        Edit::replace(range, String::new())
    }
}
