//! The petitions site's JSON, read defensively: every field the site has added over the years
//! may be missing from an older document, extra fields are ignored, and anything malformed,
//! wrongly typed or in an unknown state is an error that leaves the last good copy in place.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entities::enums::PetitionState;
use serde::{Deserialize, Serialize};

/// Thresholds when the document does not give them.
pub const RESPONSE_THRESHOLD: i64 = 10_000;
pub const DEBATE_THRESHOLD: i64 = 100_000;
/// Long texts from the site are cut here: nothing upstream should make a row unbounded.
const MAX_TEXT_CHARS: usize = 20_000;
const MAX_BREAKDOWN_ROWS: usize = 2_000;
/// More signatures than people on Earth is a broken document; it also keeps sums from
/// overflowing.
const MAX_COUNT: i64 = 10_000_000_000;

/// A whole petition document, as the poller keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub external_id: i64,
    pub archived: bool,
    pub action: String,
    pub background: String,
    pub additional_details: Option<String>,
    pub state: PetitionState,
    pub counts: Counts,
    pub opened_at: Option<DateTime<Utc>>,
    pub closing_date: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    pub response_threshold: i64,
    pub debate_threshold: i64,
    pub responded_on: Option<NaiveDate>,
    pub response_summary: Option<String>,
    pub response_details: Option<String>,
    pub debated_on: Option<NaiveDate>,
    pub debate_overview: Option<String>,
    pub transcript_url: Option<String>,
    pub video_url: Option<String>,
    pub parliament_period: Option<String>,
    pub dissolution_at: Option<DateTime<Utc>>,
    pub by_country: Vec<Tally>,
    pub by_region: Vec<Tally>,
    pub by_constituency: Vec<Tally>,
}

/// What the cheap `count.json` gives, and the same part of a whole document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Counts {
    pub signature_count: i64,
    pub response_threshold_reached_at: Option<DateTime<Utc>>,
    pub government_response_at: Option<DateTime<Utc>>,
    pub debate_threshold_reached_at: Option<DateTime<Utc>>,
    pub scheduled_debate_date: Option<NaiveDate>,
    pub debate_outcome_at: Option<DateTime<Utc>>,
    pub debated: bool,
}

/// Signatures from one country, region or constituency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub code: String,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the document is not the JSON expected: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("the petition is in a state this server does not know: {0:?}")]
    UnknownState(String),
    #[error("the document is about petition {found}, not {expected}")]
    WrongPetition { expected: i64, found: i64 },
    #[error("the document gives an impossible signature count")]
    ImplausibleCount,
}

/// Reads a whole petition document.
pub fn parse_document(bytes: &[u8], expected_id: i64) -> Result<Document, DocumentError> {
    let envelope: Envelope = serde_json::from_slice(bytes)?;
    let data = envelope.data;
    if data.id != expected_id {
        return Err(DocumentError::WrongPetition {
            expected: expected_id,
            found: data.id,
        });
    }
    let archived = data.kind.as_deref() == Some("archived-petition") || data.parliament.is_some();
    let attributes = data.attributes;
    let state = state(&attributes.state)?;
    let counts = attributes.counts.checked()?;
    let parliament = data.parliament.unwrap_or_default();
    let response = attributes.government_response.unwrap_or_default();
    let debate = attributes.debate.unwrap_or_default();
    Ok(Document {
        external_id: data.id,
        archived,
        action: clip(attributes.action),
        background: clip(attributes.background.unwrap_or_default()),
        additional_details: attributes.additional_details.map(clip),
        state,
        counts: Counts {
            debated: counts.debated || debate.debated_on.is_some(),
            ..counts
        },
        opened_at: attributes.opened_at.map(utc),
        closing_date: attributes.closing_date,
        closed_at: attributes.closed_at.map(utc),
        response_threshold: positive(parliament.response_threshold, RESPONSE_THRESHOLD),
        debate_threshold: positive(parliament.debate_threshold, DEBATE_THRESHOLD),
        responded_on: response.responded_on,
        response_summary: response.summary.map(clip),
        response_details: response.details.map(clip),
        debated_on: debate.debated_on,
        debate_overview: debate.overview.map(clip),
        transcript_url: debate.transcript_url.and_then(web_address),
        video_url: debate.video_url.and_then(web_address),
        parliament_period: parliament
            .period
            .map(|period| clip(period).chars().take(20).collect()),
        dissolution_at: parliament.dissolution_at.map(utc),
        by_country: tallies(attributes.signatures_by_country, |row| &row.code),
        by_region: tallies(attributes.signatures_by_region, |row| &row.ons_code),
        by_constituency: tallies(attributes.signatures_by_constituency, |row| &row.ons_code),
    })
}

/// Reads `count.json` over the counts kept: a key the site leaves out keeps its value (a
/// `null` clears it, as the site clears a threshold's time when the count falls back).
pub fn parse_counts(bytes: &[u8], kept: &Counts) -> Result<Counts, DocumentError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)?;
    let given = |key: &str| value.get(key).is_some();
    let read = serde_json::from_value::<RawCounts>(value.clone())?.checked()?;
    let pick = |key: &str, read: Option<DateTime<Utc>>, kept: Option<DateTime<Utc>>| {
        if given(key) { read } else { kept }
    };
    Ok(Counts {
        signature_count: read.signature_count,
        response_threshold_reached_at: pick(
            "response_threshold_reached_at",
            read.response_threshold_reached_at,
            kept.response_threshold_reached_at,
        ),
        government_response_at: pick(
            "government_response_at",
            read.government_response_at,
            kept.government_response_at,
        ),
        debate_threshold_reached_at: pick(
            "debate_threshold_reached_at",
            read.debate_threshold_reached_at,
            kept.debate_threshold_reached_at,
        ),
        scheduled_debate_date: if given("scheduled_debate_date") {
            read.scheduled_debate_date
        } else {
            kept.scheduled_debate_date
        },
        debate_outcome_at: pick(
            "debate_outcome_at",
            read.debate_outcome_at,
            kept.debate_outcome_at,
        ),
        debated: if given("debated") {
            read.debated
        } else {
            kept.debated
        },
    })
}

fn state(raw: &str) -> Result<PetitionState, DocumentError> {
    match raw {
        "open" => Ok(PetitionState::Open),
        "closed" => Ok(PetitionState::Closed),
        "rejected" => Ok(PetitionState::Rejected),
        other => Err(DocumentError::UnknownState(
            other.chars().take(40).collect(),
        )),
    }
}

fn utc(at: DateTime<FixedOffset>) -> DateTime<Utc> {
    at.with_timezone(&Utc)
}

fn positive(given: Option<i64>, default: i64) -> i64 {
    given.filter(|value| *value > 0).unwrap_or(default)
}

/// Long texts cut to size, without control characters (PostgreSQL refuses NUL in text).
fn clip(text: String) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .take(MAX_TEXT_CHARS)
        .collect()
}

/// Links from the site are shown to people: only plain web addresses are kept, as the parser
/// writes them (control characters percent-encoded).
fn web_address(raw: String) -> Option<String> {
    url::Url::parse(&raw)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.as_str().len() <= 1_000)
        .map(String::from)
}

fn tallies(rows: Option<Vec<RawTally>>, code: impl Fn(&RawTally) -> &Option<String>) -> Vec<Tally> {
    rows.unwrap_or_default()
        .iter()
        .take(MAX_BREAKDOWN_ROWS)
        .filter_map(|row| {
            Some(Tally {
                code: code(row).clone()?.chars().take(20).collect(),
                name: row
                    .name
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect(),
                count: row.signature_count.filter(|count| *count >= 0)?,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct Envelope {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    id: i64,
    attributes: Attributes,
    #[serde(default)]
    parliament: Option<Parliament>,
}

#[derive(Deserialize)]
struct Attributes {
    action: String,
    #[serde(default)]
    background: Option<String>,
    #[serde(default)]
    additional_details: Option<String>,
    state: String,
    #[serde(flatten)]
    counts: RawCounts,
    #[serde(default)]
    opened_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    closing_date: Option<NaiveDate>,
    #[serde(default)]
    closed_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    government_response: Option<GovernmentResponse>,
    #[serde(default)]
    debate: Option<Debate>,
    #[serde(default)]
    signatures_by_country: Option<Vec<RawTally>>,
    #[serde(default)]
    signatures_by_region: Option<Vec<RawTally>>,
    #[serde(default)]
    signatures_by_constituency: Option<Vec<RawTally>>,
}

#[derive(Deserialize)]
struct RawCounts {
    signature_count: i64,
    #[serde(default)]
    response_threshold_reached_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    government_response_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    debate_threshold_reached_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    scheduled_debate_date: Option<NaiveDate>,
    #[serde(default)]
    debate_outcome_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    debated: Option<bool>,
}

impl RawCounts {
    fn checked(self) -> Result<Counts, DocumentError> {
        if !(0..=MAX_COUNT).contains(&self.signature_count) {
            return Err(DocumentError::ImplausibleCount);
        }
        Ok(Counts {
            signature_count: self.signature_count,
            response_threshold_reached_at: self.response_threshold_reached_at.map(utc),
            government_response_at: self.government_response_at.map(utc),
            debate_threshold_reached_at: self.debate_threshold_reached_at.map(utc),
            scheduled_debate_date: self.scheduled_debate_date,
            debate_outcome_at: self.debate_outcome_at.map(utc),
            debated: self.debated.unwrap_or(false),
        })
    }
}

#[derive(Deserialize, Default)]
struct GovernmentResponse {
    #[serde(default)]
    responded_on: Option<NaiveDate>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
}

#[derive(Deserialize, Default)]
struct Debate {
    #[serde(default)]
    debated_on: Option<NaiveDate>,
    #[serde(default)]
    overview: Option<String>,
    #[serde(default)]
    transcript_url: Option<String>,
    #[serde(default)]
    video_url: Option<String>,
}

#[derive(Deserialize, Default)]
struct Parliament {
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    dissolution_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    response_threshold: Option<i64>,
    #[serde(default)]
    debate_threshold: Option<i64>,
}

#[derive(Deserialize)]
struct RawTally {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    ons_code: Option<String>,
    #[serde(default)]
    signature_count: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(state: &str, id: i64) -> Vec<u8> {
        serde_json::json!({"data": {"type": "petition", "id": id, "new_key": [1, 2],
            "attributes": {"action": "Act", "state": state, "signature_count": 12,
                           "a_field_from_the_future": {"x": 1}}}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_sparse_document_with_unknown_keys_is_read() {
        let read = parse_document(&document("open", 7), 7).ok();
        let read = read.as_ref();
        assert_eq!(read.map(|d| d.counts.signature_count), Some(12));
        assert_eq!(read.map(|d| d.response_threshold), Some(RESPONSE_THRESHOLD));
        assert_eq!(read.map(|d| d.by_region.len()), Some(0));
        assert_eq!(read.map(|d| d.archived), Some(false));
    }

    #[test]
    fn unknown_states_and_other_petitions_are_refused() {
        assert!(matches!(
            parse_document(&document("flagged", 7), 7),
            Err(DocumentError::UnknownState(state)) if state == "flagged"
        ));
        assert!(matches!(
            parse_document(&document("open", 8), 7),
            Err(DocumentError::WrongPetition {
                expected: 7,
                found: 8
            })
        ));
        assert!(matches!(
            parse_counts(br#"{"signature_count": -3}"#, &Counts::default()),
            Err(DocumentError::ImplausibleCount)
        ));
    }
}

#[cfg(test)]
mod count_tests {
    use super::*;

    #[test]
    fn keys_left_out_of_count_json_keep_their_values_and_nulls_clear_them() {
        let kept = Counts {
            signature_count: 10_500,
            response_threshold_reached_at: Some(Utc::now()),
            government_response_at: Some(Utc::now()),
            debated: true,
            ..Counts::default()
        };
        let read = parse_counts(br#"{"signature_count": 10600}"#, &kept).ok();
        assert_eq!(read.as_ref().map(|c| c.signature_count), Some(10_600));
        assert_eq!(
            read.as_ref().map(|c| c.government_response_at),
            Some(kept.government_response_at)
        );
        assert_eq!(read.as_ref().map(|c| c.debated), Some(true));
        let cleared = parse_counts(
            br#"{"signature_count": 9990, "response_threshold_reached_at": null}"#,
            &kept,
        )
        .ok();
        assert_eq!(cleared.and_then(|c| c.response_threshold_reached_at), None);
    }
}
