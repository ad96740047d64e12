//! What in a piece of text looks like it identifies a person. Observations are about what
//! organisations see in aggregate; the charity never takes up individual cases, so text that
//! carries a reference number, a date of birth, a phone number, an email address or a full
//! postcode is refused before it is saved, naming what looked personal.
//!
//! What they catch (UK formats):
//! - Home Office references: a letter and seven digits (`B1234567`), or the 16-digit unique
//!   application number (`1234-5678-9012-3456`);
//! - port references: three letters, a slash and digits (`LHR/1234567`, `EDI/0123456/21`);
//! - NASS and ARC numbers: the words NASS or ARC followed by a number, and ARC card numbers
//!   (three letters and six digits, with an optional letter);
//! - National Insurance numbers (`QQ 12 34 56 C`);
//! - dates of birth: "born", "DOB", "date of birth" near a date, or any full date in a year
//!   before 2010, when nobody in this work was an adult;
//! - phone numbers: UK mobile and landline numbers, and international ones starting `+`;
//! - email addresses;
//! - full postcodes (`M14 5TQ`), which point at a street; the district alone (`M14`) is fine.
//!
//! What they cannot catch: a person described in words ("the young man from the hotel on
//! Princess Road"), names, nationalities combined with small details, and references in
//! formats not listed. The count rule (at least three people) and the review of observations
//! by staff are there for those.

use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};

/// Something in the text that looks personal, and what it looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    HomeOfficeReference,
    PortReference,
    NassOrArcNumber,
    NationalInsuranceNumber,
    DateOfBirth,
    PhoneNumber,
    EmailAddress,
    FullPostcode,
}

impl Personal {
    /// Words for the error message.
    pub fn describe(self) -> &'static str {
        match self {
            Self::HomeOfficeReference => "a Home Office reference number",
            Self::PortReference => "a port reference number",
            Self::NassOrArcNumber => "a NASS or ARC number",
            Self::NationalInsuranceNumber => "a National Insurance number",
            Self::DateOfBirth => "a date of birth",
            Self::PhoneNumber => "a phone number",
            Self::EmailAddress => "an email address",
            Self::FullPostcode => "a full postcode (give the district only, such as M14)",
        }
    }
}

struct Detector {
    found: Personal,
    pattern: Regex,
    /// A further test of what the pattern matched.
    confirm: fn(&str) -> bool,
}

fn pattern(text: &str) -> Regex {
    RegexBuilder::new(text)
        .case_insensitive(true)
        .build()
        .unwrap_or_else(|error| unreachable!("the detector patterns are fixed: {error}"))
}

fn always(_: &str) -> bool {
    true
}

/// A full date whose year is before 2010 (dd/mm/yyyy, dd-mm-yyyy or dd.mm.yyyy).
fn early_year(date: &str) -> bool {
    date.rsplit(['/', '-', '.'])
        .next()
        .and_then(|year| year.parse::<u32>().ok())
        .is_some_and(|year| (1900..2010).contains(&year))
}

/// Ten to thirteen digits in all, as phone numbers have.
fn phone_length(number: &str) -> bool {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    (10..=13).contains(&digits)
}

static DETECTORS: LazyLock<Vec<Detector>> = LazyLock::new(|| {
    let date = r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}";
    vec![
        Detector {
            found: Personal::EmailAddress,
            pattern: pattern(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+"),
            confirm: always,
        },
        Detector {
            found: Personal::HomeOfficeReference,
            pattern: pattern(r"\b([a-z]\d{7}|\d{4}-\d{4}-\d{4}-\d{4})\b"),
            confirm: always,
        },
        Detector {
            found: Personal::PortReference,
            pattern: pattern(r"\b[a-z]{3}/\d{5,8}(/\d{2,4})?\b"),
            confirm: always,
        },
        Detector {
            found: Personal::NassOrArcNumber,
            pattern: pattern(
                r"\b(nass|arc)\s*(ref(erence)?|no\.?|number|card)?\s*[:#]?\s*[a-z]{0,3}\d{5,}|\b[a-z]{3}\d{6}[a-z]?\b",
            ),
            confirm: always,
        },
        Detector {
            found: Personal::NationalInsuranceNumber,
            pattern: pattern(r"\b[a-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d]\b"),
            confirm: always,
        },
        Detector {
            found: Personal::DateOfBirth,
            pattern: pattern(&format!(
                r"\b(born|dob|d\.o\.b\.?|date of birth)\b\W{{0,3}}(on\s+)?{date}"
            )),
            confirm: always,
        },
        Detector {
            found: Personal::DateOfBirth,
            pattern: pattern(&format!(r"\b{date}\b")),
            confirm: early_year,
        },
        Detector {
            found: Personal::PhoneNumber,
            pattern: pattern(r"(\+\d[\d\s().-]{8,}\d|\b0\d[\d\s().-]{7,}\d)"),
            confirm: phone_length,
        },
        Detector {
            found: Personal::FullPostcode,
            pattern: pattern(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[abd-hjlnp-uw-z]{2}\b"),
            confirm: always,
        },
    ]
});

/// The first thing in `text` that looks like it identifies a person, if any.
pub fn find_personal(text: &str) -> Option<Personal> {
    DETECTORS.iter().find_map(|detector| {
        detector
            .pattern
            .find_iter(text)
            .any(|found| (detector.confirm)(found.as_str()))
            .then_some(detector.found)
    })
}
