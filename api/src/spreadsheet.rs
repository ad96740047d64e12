//! CSV files for staff to open in a spreadsheet. Cells come from the public (names, titles),
//! so a cell that a spreadsheet would run as a formula is defused first.

use crate::graphql::error::{ApiError, ApiResult};

/// UTF-8 CSV text: the header, then each row, every cell made safe to open.
pub fn csv<R>(header: &[&str], rows: impl IntoIterator<Item = R>) -> ApiResult<String>
where
    R: IntoIterator<Item = String>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header).map_err(ApiError::internal)?;
    for row in rows {
        writer
            .write_record(row.into_iter().map(|cell| spreadsheet_safe(&cell)))
            .map_err(ApiError::internal)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| ApiError::internal(error.into_error()))?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

/// A cell that starts like a formula would run as one when the file is opened in a
/// spreadsheet, so it is prefixed with an apostrophe (and so is one that starts with an
/// apostrophe, which a spreadsheet would otherwise swallow).
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused() {
        for formula in ["=1+1", "+44 161", "-2", "@SUM(A1)", "\tx", "\rx", "'quoted"] {
            assert_eq!(spreadsheet_safe(formula), format!("'{formula}"));
        }
        for plain in ["Amina", "amina@example.org", "", "1+1"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }
}
