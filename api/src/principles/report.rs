//! The sector picture: per principle and indicator, how many signatories are at each level in
//! their latest submitted assessment, and how many moved up, down or stayed the same since
//! the one before. One grouped query counts everything, per region.
//!
//! Nobody is to be singled out, so for everyone but admins a figure drawn from fewer than
//! [`MIN_ORGANISATIONS`] is withheld, and so is enough of the rest that it cannot be worked
//! out by subtraction: within a row (whose total, the number assessed, is shown), at least two
//! figures are withheld and together they come to at least the minimum; and a region's figure
//! is withheld when the national figure, which anyone sees, minus it leaves a small remainder.

use std::collections::BTreeMap;

use entities::enums::PracticeLevel;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};

use crate::graphql::error::ApiResult;

/// The fewest organisations a figure shown to anyone but admins may be drawn from.
pub const MIN_ORGANISATIONS: i64 = 5;

/// The levels in the order of the counts.
pub const LEVELS: [PracticeLevel; 4] = [
    PracticeLevel::NotStarted,
    PracticeLevel::Planning,
    PracticeLevel::Doing,
    PracticeLevel::Embedded,
];

/// An indicator's place: its principle and its position there (the same across editions).
pub type Place = (i64, i32);

/// The counts of one indicator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Signatories at each level of [`LEVELS`].
    pub levels: [i64; 4],
    /// Of those also assessed the time before: moved up, down, stayed the same.
    pub movement: [i64; 3],
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        for (mine, theirs) in self.levels.iter_mut().zip(other.levels) {
            *mine += theirs;
        }
        for (mine, theirs) in self.movement.iter_mut().zip(other.movement) {
            *mine += theirs;
        }
    }

    pub fn assessed(&self) -> i64 {
        self.levels.iter().sum()
    }

    pub fn compared(&self) -> i64 {
        self.movement.iter().sum()
    }
}

/// A figure as shown: `None` when withheld.
pub type Figure = Option<i64>;

/// One indicator's figures as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub place: Place,
    pub levels: [Figure; 4],
    pub movement: [Figure; 3],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Signatories with a submitted assessment.
    pub assessed: Figure,
    /// Of those, signatories with two, whose movement is counted.
    pub compared: Figure,
    pub rows: Vec<Row>,
    /// Principles where most answers are NOT_STARTED or PLANNING, most such first.
    pub needs_learning: Vec<i64>,
}

/// Every approved signatory's counts, per region (`None`: no region) and indicator.
pub struct Tally(BTreeMap<(Option<i64>, Place), Counts>);

#[derive(FromQueryResult)]
struct Grouped {
    region_id: Option<i64>,
    principle_id: i64,
    position: i32,
    level: i32,
    signatories: i64,
    up: i64,
    down: i64,
    same: i64,
}

/// Each approved signatory's latest and previous submitted assessments, their answers matched
/// by indicator place, counted per region, indicator and level in one pass.
const GROUPED: &str = "
WITH ranked AS (
    SELECT a.id, a.signatory_id, s.region_id,
           ROW_NUMBER() OVER (
               PARTITION BY a.signatory_id ORDER BY a.submitted_at DESC, a.id DESC
           ) AS n
    FROM assessments a
    JOIN signatories s ON s.id = a.signatory_id
    WHERE a.submitted_at IS NOT NULL AND s.status = 'APPROVED'
),
answered AS (
    SELECT r.signatory_id, r.region_id, r.n, i.principle_id, i.position,
           CASE aa.level
               WHEN 'NOT_STARTED' THEN 0 WHEN 'PLANNING' THEN 1 WHEN 'DOING' THEN 2 ELSE 3
           END AS level
    FROM ranked r
    JOIN assessment_answers aa ON aa.assessment_id = r.id
    JOIN principle_indicators i ON i.id = aa.indicator_id
    WHERE r.n <= 2
)
SELECT l.region_id, l.principle_id, l.position, l.level,
       COUNT(*) AS signatories,
       SUM(CASE WHEN p.level < l.level THEN 1 ELSE 0 END) AS up,
       SUM(CASE WHEN p.level > l.level THEN 1 ELSE 0 END) AS down,
       SUM(CASE WHEN p.level = l.level THEN 1 ELSE 0 END) AS same
FROM answered l
LEFT JOIN answered p
       ON p.signatory_id = l.signatory_id AND p.n = 2
      AND p.principle_id = l.principle_id AND p.position = l.position
WHERE l.n = 1
GROUP BY l.region_id, l.principle_id, l.position, l.level";

impl Tally {
    pub async fn count(conn: &impl ConnectionTrait) -> ApiResult<Self> {
        let backend: DbBackend = conn.get_database_backend();
        let rows = Grouped::find_by_statement(Statement::from_string(backend, GROUPED))
            .all(conn)
            .await?;
        let mut tally: BTreeMap<(Option<i64>, Place), Counts> = BTreeMap::new();
        for row in rows {
            let counts = tally
                .entry((row.region_id, (row.principle_id, row.position)))
                .or_default();
            if let Some(slot) = usize::try_from(row.level)
                .ok()
                .and_then(|level| counts.levels.get_mut(level))
            {
                *slot += row.signatories;
            }
            counts.movement[0] += row.up;
            counts.movement[1] += row.down;
            counts.movement[2] += row.same;
        }
        Ok(Self(tally))
    }

    /// The counts of one region, or (`None`) the whole country.
    fn of(&self, region: Option<Scope>) -> BTreeMap<Place, Counts> {
        let mut counts: BTreeMap<Place, Counts> = BTreeMap::new();
        for ((region_id, place), row) in &self.0 {
            if region.is_none_or(|Scope(wanted)| *region_id == Some(wanted)) {
                counts.entry(*place).or_default().add(row);
            }
        }
        counts
    }
}

/// One region.
#[derive(Debug, Clone, Copy)]
pub struct Scope(pub i64);

/// The report for a region (`None`: national), with small figures withheld unless
/// `unsuppressed` (admins).
/// Every indicator in `places` gets a row, counted or not.
pub fn report(
    tally: &Tally,
    places: &[Place],
    region: Option<Scope>,
    unsuppressed: bool,
) -> Report {
    let national = tally.of(None);
    let counts = match region {
        Some(_) => tally.of(region),
        None => national.clone(),
    };
    let assessed = counts.values().map(Counts::assessed).max().unwrap_or(0);
    let compared = counts.values().map(Counts::compared).max().unwrap_or(0);
    let needs_learning = needs_learning(&counts, assessed, unsuppressed);
    let rows = places
        .iter()
        .map(|place| {
            let row = counts.get(place).copied().unwrap_or_default();
            if unsuppressed {
                return Row {
                    place: *place,
                    levels: row.levels.map(Some),
                    movement: row.movement.map(Some),
                };
            }
            let whole = region.and_then(|_| national.get(place));
            Row {
                place: *place,
                levels: shown(&row.levels, whole.map(|n| &n.levels)),
                movement: shown(&row.movement, whole.map(|n| &n.movement)),
            }
        })
        .collect();
    let total = |count: i64| (unsuppressed || count >= MIN_ORGANISATIONS).then_some(count);
    Report {
        assessed: total(assessed),
        compared: total(compared),
        rows,
        needs_learning,
    }
}

/// A row's figures with the small ones withheld, and enough others that none can be worked
/// out from the row's total or, for a region, from the national figures in `whole`.
fn shown<const N: usize>(counts: &[i64; N], whole: Option<&[i64; N]>) -> [Figure; N] {
    let remainder_small = |i: usize| {
        whole.is_some_and(|whole| (1..MIN_ORGANISATIONS).contains(&(whole[i] - counts[i])))
    };
    let mut withheld: [bool; N] =
        std::array::from_fn(|i| counts[i] < MIN_ORGANISATIONS || remainder_small(i));
    loop {
        let hidden: Vec<i64> = (0..N).filter(|&i| withheld[i]).map(|i| counts[i]).collect();
        let safe = hidden.is_empty()
            || (hidden.len() >= 2 && hidden.iter().sum::<i64>() >= MIN_ORGANISATIONS);
        let smallest_shown = (0..N).filter(|&i| !withheld[i]).min_by_key(|&i| counts[i]);
        match (safe, smallest_shown) {
            (false, Some(i)) => withheld[i] = true,
            _ => break,
        }
    }
    std::array::from_fn(|i| (!withheld[i]).then_some(counts[i]))
}

/// Principles where more than half the answers are NOT_STARTED or PLANNING, the largest share
/// first. Nothing is said until enough signatories have assessed themselves.
fn needs_learning(counts: &BTreeMap<Place, Counts>, assessed: i64, unsuppressed: bool) -> Vec<i64> {
    if !unsuppressed && assessed < MIN_ORGANISATIONS {
        return Vec::new();
    }
    let mut by_principle: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for ((principle_id, _), row) in counts {
        let (early, all) = by_principle.entry(*principle_id).or_default();
        *early += row.levels[0] + row.levels[1];
        *all += row.assessed();
    }
    let mut needing: Vec<(i64, f64)> = by_principle
        .into_iter()
        .filter(|(_, (early, all))| 2 * early > *all)
        .map(|(principle_id, (early, all))| (principle_id, early as f64 / all as f64))
        .collect();
    needing.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    needing
        .into_iter()
        .map(|(principle_id, _)| principle_id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{MIN_ORGANISATIONS, shown};

    /// Whether one withheld figure can be worked out: it is the only one withheld, or the
    /// withheld ones add up to less than the minimum.
    fn recoverable(counts: &[i64; 4], figures: &[Option<i64>; 4]) -> bool {
        let hidden: Vec<i64> = (0..4)
            .filter(|&i| figures[i].is_none())
            .map(|i| counts[i])
            .collect();
        !hidden.is_empty() && (hidden.len() == 1 || hidden.iter().sum::<i64>() < MIN_ORGANISATIONS)
    }

    #[test]
    fn small_figures_and_enough_others_are_withheld() {
        let counts = [3, 9, 12, 6];
        let figures = shown(&counts, None);
        assert_eq!(figures, [None, Some(9), Some(12), None]);
        assert!(!recoverable(&counts, &figures));
    }

    #[test]
    fn withheld_zeros_never_add_up_to_an_answer() {
        let counts = [0, 0, 7, 0];
        let figures = shown(&counts, None);
        assert_eq!(figures, [None; 4]);
    }

    #[test]
    fn no_row_leaves_a_withheld_figure_recoverable() {
        for a in 0..8 {
            for b in 0..8 {
                for c in 0..8 {
                    for d in 0..8 {
                        let counts = [a, b, c, d];
                        let figures = shown(&counts, None);
                        if counts.iter().sum::<i64>() < MIN_ORGANISATIONS {
                            // The row's total is withheld too, and so is everything in it.
                            assert_eq!(figures, [None; 4], "{counts:?}");
                            continue;
                        }
                        assert!(!recoverable(&counts, &figures), "{counts:?} → {figures:?}");
                        for (count, figure) in counts.iter().zip(figures) {
                            assert!(figure.is_none() || *count >= MIN_ORGANISATIONS);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_region_figure_is_withheld_when_the_rest_of_the_country_is_small() {
        let region = [6, 8, 10, 5];
        let national = [8, 8, 30, 5];
        let figures = shown(&region, Some(&national));
        assert_eq!(
            figures[0], None,
            "8 − 6 would show two organisations elsewhere"
        );
        assert_eq!(figures[2], Some(10));
    }
}
