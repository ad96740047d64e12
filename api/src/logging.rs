//! Log lines: text for a person at a terminal, or one JSON object per line for a collector.
//! What is logged never includes a token, a password, an email address or a phone number:
//! requests are logged by path (query strings can carry tokens), and errors from outside
//! (the mail relay's answers) have addresses taken out first.

use std::sync::LazyLock;

use regex::Regex;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

use crate::config::LogFormat;

/// Installs the process's logger, writing to `writer` at the level `RUST_LOG` asks for (`info`
/// when unset).
pub fn init<W>(format: LogFormat, writer: W, colour: bool)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(colour).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A second logger in one process (tests start many servers) keeps the first.
    drop(installed);
}

/// `text` with anything shaped like an email address replaced by `<address>`.
pub fn without_addresses(text: &str) -> String {
    static ADDRESS: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"[^\s<>()\[\],;:'\x22]+@[^\s<>()\[\],;:'\x22]+").ok());
    match ADDRESS.as_ref() {
        Some(address) => address.replace_all(text, "<address>").into_owned(),
        None => "<text withheld>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_addresses;

    #[test]
    fn a_relays_refusal_is_logged_without_the_address() {
        let refusal = "permanent error (550): 5.1.1 <dana.doe+news@example.org>: user unknown";
        assert_eq!(
            without_addresses(refusal),
            "permanent error (550): 5.1.1 <<address>>: user unknown"
        );
        assert_eq!(
            without_addresses("Connection refused (os error 111)"),
            "Connection refused (os error 111)"
        );
    }
}
