//! Small counts hidden by construction (decision 0026). A count from 1 to 4 is shown
//! as `"<5"`; then, wherever a sum holds exactly one hidden count (a month over its
//! keys, a key over its months, the total over either, a cell's bookings over filled,
//! unfilled, cancelled and open), the smallest shown count of that sum is hidden
//! too, until no sum gives a hidden count away. Zero is shown: it names nobody, and
//! hiding it would hide every full fill rate. Figures derived from hidden counts
//! (the fill rate, the worked hours) are hidden with them, and medians of fewer than
//! five values are not shown.

use mittler_contracts::booking::{ReportCell, ReportFigures};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Counts below this, but above zero, are hidden.
pub const THRESHOLD: i64 = 5;

/// A count as the report shows it: the number, or `"<5"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Count {
    Shown(i64),
    Hidden(Hidden),
}

/// The mark of a hidden count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Hidden {
    #[serde(rename = "<5")]
    BelowFive,
}

impl Count {
    pub fn shown(self) -> Option<i64> {
        match self {
            Count::Shown(n) => Some(n),
            Count::Hidden(_) => None,
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Shown(n) => write!(f, "{n}"),
            Count::Hidden(_) => f.write_str("<5"),
        }
    }
}

/// The counts a cell has, in this order.
pub const MEASURES: usize = 9;
const BOOKINGS: usize = 0;
const FILLED: usize = 1;
const UNFILLED: usize = 2;
/// The parts of a cell's bookings: filled, unfilled, late, timely, open.
const PARTS: [usize; 5] = [1, 2, 3, 4, 5];
const CALLS: usize = 6;
const RECORDS: usize = 7;
const CONNECTED: usize = 8;

fn counts(f: &ReportFigures) -> [i64; MEASURES] {
    [
        f.bookings,
        f.filled,
        f.unfilled,
        f.cancelled_late,
        f.cancelled_timely,
        f.open,
        f.calls,
        f.records,
        f.connected,
    ]
}

/// One cell's figures as they may be shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub month: Option<String>,
    pub key: Option<String>,
    /// bookings, filled, unfilled, cancelled late, cancelled timely, open, calls,
    /// confirmed records, connected calls.
    pub counts: [Count; MEASURES],
    pub fill_rate: Option<f64>,
    pub median_minutes_to_assign: Option<f64>,
    pub p90_minutes_to_assign: Option<f64>,
    pub median_seconds_to_ring: Option<f64>,
    pub p90_seconds_to_ring: Option<f64>,
    pub median_seconds_to_connect: Option<f64>,
    pub p90_seconds_to_connect: Option<f64>,
    pub worked_hours: Option<f64>,
}

impl Shown {
    pub fn bookings(&self) -> Count {
        self.counts[BOOKINGS]
    }

    pub fn calls(&self) -> Count {
        self.counts[CALLS]
    }

    pub fn connected(&self) -> Count {
        self.counts[CONNECTED]
    }
}

/// Which counts are hidden: primary below the threshold, then the complements.
fn hidden_marks(cells: &[ReportCell]) -> Vec<[bool; MEASURES]> {
    let values: Vec<[i64; MEASURES]> = cells.iter().map(|c| counts(&c.figures)).collect();
    let mut hidden: Vec<[bool; MEASURES]> = values
        .iter()
        .map(|v| v.map(|n| n > 0 && n < THRESHOLD))
        .collect();
    // The sums: (total, parts) as cell indices, for each measure alike.
    let index: HashMap<(Option<&str>, Option<&str>), usize> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.month.as_deref(), c.key.as_deref()), i))
        .collect();
    let months: BTreeSet<&str> = cells.iter().filter_map(|c| c.month.as_deref()).collect();
    let keys: BTreeSet<&str> = cells.iter().filter_map(|c| c.key.as_deref()).collect();
    let mut sums: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut add = |total: Option<usize>, parts: Vec<usize>| {
        if let Some(total) = total
            && !parts.is_empty()
        {
            sums.push((total, parts));
        }
    };
    for month in &months {
        let parts = keys
            .iter()
            .filter_map(|k| index.get(&(Some(*month), Some(*k))).copied())
            .collect();
        add(index.get(&(Some(*month), None)).copied(), parts);
    }
    for key in &keys {
        let parts = months
            .iter()
            .filter_map(|m| index.get(&(Some(*m), Some(*key))).copied())
            .collect();
        add(index.get(&(None, Some(*key))).copied(), parts);
    }
    let total = index.get(&(None, None)).copied();
    add(
        total,
        months
            .iter()
            .filter_map(|m| index.get(&(Some(*m), None)).copied())
            .collect(),
    );
    add(
        total,
        keys.iter()
            .filter_map(|k| index.get(&(None, Some(*k))).copied())
            .collect(),
    );
    loop {
        let mut changed = false;
        // Sums across cells, one measure at a time.
        for (total, parts) in &sums {
            for m in 0..MEASURES {
                let members = std::iter::once(*total).chain(parts.iter().copied());
                changed |= complement(
                    &mut hidden,
                    &values,
                    members.map(|cell| (cell, m)).collect(),
                );
            }
        }
        // Within a cell: bookings over its parts.
        for cell in 0..cells.len() {
            let members = std::iter::once((cell, BOOKINGS))
                .chain(PARTS.iter().map(|m| (cell, *m)))
                .collect();
            changed |= complement(&mut hidden, &values, members);
        }
        if !changed {
            return hidden;
        }
    }
}

/// In one sum (its total first), a single hidden member would follow from the
/// others: hide the smallest shown part above zero (a zero only where no other part
/// is shown; the total if no part is).
fn complement(
    hidden: &mut [[bool; MEASURES]],
    values: &[[i64; MEASURES]],
    members: Vec<(usize, usize)>,
) -> bool {
    let hidden_count = members.iter().filter(|(c, m)| hidden[*c][*m]).count();
    if hidden_count != 1 {
        return false;
    }
    let pick = members[1..]
        .iter()
        .filter(|(c, m)| !hidden[*c][*m])
        .min_by_key(|(c, m)| (values[*c][*m] == 0, values[*c][*m]))
        .or_else(|| members.first().filter(|(c, m)| !hidden[*c][*m]));
    match pick {
        Some((c, m)) => {
            hidden[*c][*m] = true;
            true
        }
        None => false,
    }
}

/// A median or percentile over `n` values, shown from five values on.
fn of_enough(n: i64, value: Option<f64>) -> Option<f64> {
    value.filter(|_| n >= THRESHOLD)
}

/// Every cell as it may be shown.
pub fn suppress(cells: &[ReportCell]) -> Vec<Shown> {
    let hidden = hidden_marks(cells);
    cells
        .iter()
        .zip(hidden)
        .map(|(cell, hidden)| {
            let f = &cell.figures;
            let values = counts(f);
            let counts: [Count; MEASURES] = std::array::from_fn(|m| {
                if hidden[m] {
                    Count::Hidden(Hidden::BelowFive)
                } else {
                    Count::Shown(values[m])
                }
            });
            Shown {
                month: cell.month.clone(),
                key: cell.key.clone(),
                counts,
                fill_rate: f
                    .fill_rate()
                    .filter(|_| !hidden[FILLED] && !hidden[UNFILLED]),
                median_minutes_to_assign: of_enough(f.filled, f.median_minutes_to_assign),
                p90_minutes_to_assign: of_enough(f.filled, f.p90_minutes_to_assign),
                median_seconds_to_ring: of_enough(f.calls, f.median_seconds_to_ring),
                p90_seconds_to_ring: of_enough(f.calls, f.p90_seconds_to_ring),
                median_seconds_to_connect: of_enough(f.connected, f.median_seconds_to_connect),
                p90_seconds_to_connect: of_enough(f.connected, f.p90_seconds_to_connect),
                worked_hours: (!hidden[RECORDS])
                    .then(|| (f.worked_minutes as f64 / 60.0 * 100.0).round() / 100.0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
