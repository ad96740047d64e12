//! Input from clients becomes these checked values before any rule sees it. Each check names
//! the offending field, so the client can point at it.

use async_graphql::ID;

use crate::graphql::error::{ApiError, ApiResult};

pub const MAX_EMAIL_LEN: usize = 254;
pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_PASSWORD_LEN: usize = 256;

/// An email address, trimmed and lower-cased so one person has one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &str, raw: &str) -> ApiResult<Self> {
        let candidate = raw.trim().to_lowercase();
        let invalid = || ApiError::bad_input(field, "must be a valid email address");
        if candidate.len() > MAX_EMAIL_LEN {
            return Err(ApiError::bad_input(
                field,
                format!("must be at most {MAX_EMAIL_LEN} characters"),
            ));
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            &candidate,
            email_address::Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .map_err(|_| invalid())?;
        // A deliverable address needs a domain with a dot in it ("name@localhost" is not one),
        // and the mailer must be able to send to it: quoted local parts such as
        // `"a b"@example.org` are valid on paper, but not something we can deliver to.
        let sendable =
            candidate.parse::<lettre::Address>().is_ok() && !parsed.local_part().starts_with('"');
        if !parsed.domain().contains('.') || !sendable {
            return Err(invalid());
        }
        Ok(Self(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A password that meets the length rules; never logged or echoed.
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, raw: String) -> ApiResult<Self> {
        let length = raw.chars().count();
        if length < MIN_PASSWORD_LEN {
            return Err(ApiError::bad_input(
                field,
                format!("must be at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
        if length > MAX_PASSWORD_LEN {
            return Err(ApiError::bad_input(
                field,
                format!("must be at most {MAX_PASSWORD_LEN} characters"),
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Required text of several lines (a description, a body): trimmed, not empty, at most `max`
/// characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    optional_text(field, Some(raw), max)?
        .ok_or_else(|| ApiError::bad_input(field, "must not be empty"))
}

/// Optional text of several lines: trimmed; empty means absent; at most `max` characters;
/// line breaks and tabs allowed, other control and hidden characters not.
pub fn optional_text(field: &str, raw: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    checked_text(field, raw, max, Lines::Several)
}

/// A required name or title: one line, trimmed, not empty, at most `max` characters.
pub fn single_line(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    optional_single_line(field, Some(raw), max)?
        .ok_or_else(|| ApiError::bad_input(field, "must not be empty"))
}

/// An optional name or title: one line, trimmed; empty means absent.
pub fn optional_single_line(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> ApiResult<Option<String>> {
    checked_text(field, raw, max, Lines::One)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Several,
}

fn checked_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
    lines: Lines,
) -> ApiResult<Option<String>> {
    let Some(trimmed) = raw.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    for c in trimmed.chars() {
        let line_break = matches!(c, '\n' | '\r' | '\t');
        if line_break && lines == Lines::One {
            return Err(ApiError::bad_input(
                field,
                "must be one line, without line breaks or tabs",
            ));
        }
        if (c.is_control() && !line_break) || is_hidden(c) {
            return Err(ApiError::bad_input(
                field,
                format!(
                    "must not contain control, invisible or direction-changing characters \
                     (found U+{:04X})",
                    u32::from(c)
                ),
            ));
        }
    }
    Ok(Some(trimmed.to_owned()))
}

/// Characters that show nothing, or change the direction of what follows, and so let a name
/// pretend to be something else (`"\u{202e}gnp.exe"` shows as "exe.png"): bidirectional
/// controls, zero-width spaces and marks, byte order marks, line and paragraph separators,
/// and Unicode non-characters. The zero-width joiner and non-joiner stay allowed: several
/// scripts and emoji need them.
fn is_hidden(c: char) -> bool {
    let code = u32::from(c);
    matches!(
        code,
        0x061C            // Arabic letter mark
        | 0x115F | 0x1160 // Hangul fillers
        | 0x180E          // Mongolian vowel separator
        | 0x200B          // zero-width space
        | 0x200E | 0x200F // left-to-right and right-to-left marks
        | 0x2028 | 0x2029 // line and paragraph separators
        | 0x202A..=0x202E // bidirectional embeddings and overrides
        | 0x2060..=0x2064 // word joiner and invisible operators
        | 0x2066..=0x2069 // bidirectional isolates
        | 0x206A..=0x206F // deprecated format characters
        | 0x3164          // Hangul filler
        | 0xFEFF          // byte order mark
        | 0xFFA0          // halfwidth Hangul filler
        | 0xFDD0..=0xFDEF // non-characters
        | 0xFFF9..=0xFFFB // interlinear annotation
    ) || (code & 0xFFFE) == 0xFFFE // the last two code points of every plane
        || (0xE0000..=0xE007F).contains(&code) // tags
}

/// An http(s) address, at most 300 characters.
pub fn website(field: &str, raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(text) = optional_text(field, raw, 300)? else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::bad_input(
            field,
            "must be a web address starting with http:// or https://",
        )
    };
    let url = url::Url::parse(&text).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid());
    }
    // Normalising (percent-encoding, punycode) can lengthen it past what is stored.
    if url.as_str().chars().count() > 300 {
        return Err(ApiError::bad_input(field, "must be at most 300 characters"));
    }
    Ok(Some(url.into()))
}

/// A phone number as people write it: digits with spaces, dashes, brackets and a leading +.
pub fn phone_number(field: &str, raw: Option<&str>) -> ApiResult<Option<String>> {
    let Some(text) = optional_text(field, raw, 30)? else {
        return Ok(None);
    };
    let allowed = text.chars().enumerate().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0)
    });
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if !allowed || !(7..=15).contains(&digits) {
        return Err(ApiError::bad_input(
            field,
            "must be a phone number such as +44 121 555 0100",
        ));
    }
    Ok(Some(text))
}

/// A record id given by the client.
pub fn id(field: &str, raw: &ID) -> ApiResult<i64> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::bad_input(field, "is not a valid id"))
}

pub fn optional_id(field: &str, raw: Option<&ID>) -> ApiResult<Option<i64>> {
    raw.map(|raw| id(field, raw)).transpose()
}

/// Folds a name for ordering and duplicate checks: lower case, inner spaces collapsed.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A `LIKE` pattern (escape character `\`) for text containing `words`, lower-cased to match
/// `lower(column)`.
pub fn contains_pattern(words: &str) -> String {
    let escaped = words
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
