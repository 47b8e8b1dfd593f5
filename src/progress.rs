//! A progress bar on stderr for long runs: shown only when stderr is a terminal, only once a run
//! has taken about a second (short runs stay silent), and never with `-q`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a run goes before its progress is worth showing.
const DELAY: Duration = Duration::from_secs(1);

pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    pub fn new(files: usize, quiet: bool) -> Progress {
        let wanted = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = wanted.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed}")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    /// One more file done (called from the worker threads).
    pub fn tick(&self) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.inc(1);
        if self.started.elapsed() >= DELAY && !self.shown.swap(true, Ordering::Relaxed) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Clears the bar before results are printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
