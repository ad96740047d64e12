//! The addresses staff paste for a petition, reduced to the petition's number.

use url::Url;

use crate::graphql::error::{ApiError, ApiResult};

/// The UK Parliament petitions site, as people paste its addresses.
const PUBLIC_HOST: &str = "petition.parliament.uk";
/// The site's numbers are far shorter; this keeps a pasted number within an `i64`.
const MAX_ID_DIGITS: usize = 12;
const FIELD: &str = "input.url";

/// Which petition an address names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PetitionAddress {
    pub external_id: i64,
    /// Pasted in its `/archived/petitions/…` form.
    pub archived: bool,
}

impl PetitionAddress {
    /// Reads `https://petition.parliament.uk/petitions/195146` and its variants: with or without
    /// `.json`, the `/archived/petitions/…` form, trailing slashes, a query string or fragment,
    /// no scheme, or the same paths on the host of `site` (PETITIONS_BASE_URL).
    pub fn parse(raw: &str, site: &Url) -> ApiResult<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 500 {
            return Err(ApiError::bad_input(FIELD, "paste the petition's address"));
        }
        let lower = raw.to_ascii_lowercase();
        let with_scheme = if lower.starts_with("http://") || lower.starts_with("https://") {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        let url = Url::parse(&with_scheme)
            .map_err(|_| ApiError::bad_input(FIELD, "is not a web address"))?;
        if !is_petitions_site(&url, site) {
            return Err(ApiError::bad_input(
                FIELD,
                format!("only petitions on {PUBLIC_HOST} can be tracked"),
            ));
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|segments| segments.filter(|segment| !segment.is_empty()).collect())
            .unwrap_or_default();
        let (archived, number) = match segments.as_slice() {
            // `/petitions/N`, and pages under it (`/signatures/new`, `/count.json`).
            ["petitions", number, ..] => (false, *number),
            ["archived", "petitions", number, ..] => (true, *number),
            _ => {
                return Err(ApiError::bad_input(
                    FIELD,
                    "is not the address of one petition (it looks like …/petitions/123456)",
                ));
            }
        };
        Ok(Self {
            external_id: petition_number(number)?,
            archived,
        })
    }

    /// The document's path on the site.
    pub fn document_path(&self) -> String {
        if self.archived {
            format!("/archived/petitions/{}.json", self.external_id)
        } else {
            format!("/petitions/{}.json", self.external_id)
        }
    }

    /// The cheap refresh's path (current Parliament only).
    pub fn count_path(&self) -> String {
        format!("/petitions/{}/count.json", self.external_id)
    }

    /// The page people read, on the site in PETITIONS_BASE_URL.
    pub fn page_url(&self, site: &Url) -> String {
        let path = self.document_path();
        let mut page = site.clone();
        page.set_path(path.trim_end_matches(".json"));
        page.into()
    }
}

fn is_petitions_site(url: &Url, site: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let public = matches!(url.scheme(), "http" | "https") && host == PUBLIC_HOST;
    let configured = url.scheme() == site.scheme()
        && url.host_str() == site.host_str()
        && url.port_or_known_default() == site.port_or_known_default();
    public || configured
}

fn petition_number(segment: &str) -> ApiResult<i64> {
    let digits = segment.strip_suffix(".json").unwrap_or(segment);
    let well_formed = !digits.is_empty()
        && digits.len() <= MAX_ID_DIGITS
        && digits.bytes().all(|byte| byte.is_ascii_digit());
    well_formed
        .then(|| digits.parse::<i64>().ok())
        .flatten()
        .filter(|number| *number > 0)
        .ok_or_else(|| ApiError::bad_input(FIELD, "does not end with a petition number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Url {
        Url::parse("http://127.0.0.1:4567").unwrap_or_else(|_| unreachable!())
    }

    fn parsed(raw: &str) -> Option<PetitionAddress> {
        PetitionAddress::parse(raw, &site()).ok()
    }

    #[test]
    fn every_form_people_paste_names_the_same_petition() {
        let current = Some(PetitionAddress {
            external_id: 195146,
            archived: false,
        });
        for raw in [
            "https://petition.parliament.uk/petitions/195146",
            "https://petition.parliament.uk/petitions/195146.json",
            "https://petition.parliament.uk/petitions/195146/",
            "https://petition.parliament.uk/petitions/195146?utm_source=email#sign",
            "petition.parliament.uk/petitions/195146",
            "  http://petition.parliament.uk/petitions/195146  ",
            "http://127.0.0.1:4567/petitions/195146.json",
            "https://petition.parliament.uk/petitions/195146/signatures/new",
            "petition.parliament.uk/petitions/195146?next=https://example.org",
        ] {
            assert_eq!(parsed(raw), current, "{raw}");
        }
        assert_eq!(
            parsed("https://petition.parliament.uk/archived/petitions/195146"),
            Some(PetitionAddress {
                external_id: 195146,
                archived: true
            })
        );
    }

    #[test]
    fn other_hosts_and_other_pages_are_refused() {
        for raw in [
            "https://evil.example.org/petitions/195146",
            "http://127.0.0.1:9999/petitions/195146",
            "https://petition.parliament.uk/petitions",
            "https://petition.parliament.uk/help/petitions/1",
            "https://petition.parliament.uk/petitions/abc",
            "https://petition.parliament.uk/petitions/1234567890123",
            "https://petition.parliament.uk/petitions/0",
            "ftp://petition.parliament.uk/petitions/1",
            "",
        ] {
            assert_eq!(parsed(raw), None, "{raw}");
        }
    }
}
