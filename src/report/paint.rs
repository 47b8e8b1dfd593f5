//! Terminal styles. Reporters render plain text and paint it afterwards, so output to a pipe is
//! exactly what the tests see.

use anstyle::Style;

pub const HEADER: Style = Style::new().bold();
pub const ADDED: Style = anstyle::AnsiColor::Green.on_default();
pub const REMOVED: Style = anstyle::AnsiColor::Red.on_default();
pub const HUNK: Style = anstyle::AnsiColor::Cyan.on_default();
pub const RULE: Style = anstyle::AnsiColor::Yellow.on_default();
pub const SAFE_MARK: Style = anstyle::AnsiColor::Green.on_default().bold();
pub const UNSAFE_MARK: Style = anstyle::AnsiColor::Yellow.on_default();
pub const NO_FIX_MARK: Style = Style::new().dimmed();

pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}
