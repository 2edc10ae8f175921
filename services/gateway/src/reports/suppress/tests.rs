use super::*;
use proptest::prelude::*;

/// A table of (month, key) cells with their parts, summed into the month, key and
/// total cells as the booking service answers them.
fn table(parts: &[(&str, &str, [i64; 5], i64)]) -> Vec<ReportCell> {
    let mut sums: std::collections::BTreeMap<(Option<String>, Option<String>), ReportFigures> =
        Default::default();
    for (month, key, [filled, unfilled, late, timely, open], calls) in parts {
        for at in [
            (Some(month.to_string()), Some(key.to_string())),
            (Some(month.to_string()), None),
            (None, Some(key.to_string())),
            (None, None),
        ] {
            let f = sums.entry(at).or_default();
            f.bookings += filled + unfilled + late + timely + open;
            f.filled += filled;
            f.unfilled += unfilled;
            f.cancelled_late += late;
            f.cancelled_timely += timely;
            f.open += open;
            f.calls += calls;
            f.connected += calls;
            f.records += filled;
            f.worked_minutes += 60 * filled;
        }
    }
    sums.into_iter()
        .map(|((month, key), figures)| ReportCell {
            month,
            key,
            figures,
        })
        .collect()
}

fn find<'a>(shown: &'a [Shown], month: Option<&str>, key: Option<&str>) -> &'a Shown {
    shown
        .iter()
        .find(|s| s.month.as_deref() == month && s.key.as_deref() == key)
        .expect("cell")
}

const H: Count = Count::Hidden(Hidden::BelowFive);

#[test]
fn zero_and_five_are_shown() {
    let shown = suppress(&table(&[("2026-03", "uk", [20, 0, 5, 0, 0], 0)]));
    let uk = find(&shown, Some("2026-03"), Some("uk"));
    assert_eq!(
        uk.counts[..6],
        [25, 20, 0, 5, 0, 0].map(Count::Shown),
        "nothing below five but above zero"
    );
    assert_eq!(uk.fill_rate, Some(1.0), "a full fill rate stays");
    assert_eq!(uk.worked_hours, Some(20.0));
    assert_eq!(find(&shown, None, None).bookings(), Count::Shown(25));
}

#[test]
fn small_counts_are_hidden_with_what_follows_from_them() {
    let shown = suppress(&table(&[("2026-03", "ar", [3, 6, 0, 0, 0], 0)]));
    let ar = find(&shown, Some("2026-03"), Some("ar"));
    assert_eq!(ar.counts[FILLED], H);
    // Bookings 9 = 3 + 6: with the filled hidden, the unfilled would give it away.
    assert_eq!(ar.counts[UNFILLED], H);
    assert_eq!(ar.bookings(), Count::Shown(9));
    assert_eq!(ar.fill_rate, None);
    assert_eq!(ar.worked_hours, None, "three jobs' hours are not shown");
    assert_eq!(ar.median_minutes_to_assign, None);
    // Zeros are no cover: the smallest count above zero is hidden first.
    let shown = suppress(&table(&[("2026-03", "ar", [3, 0, 0, 0, 7], 0)]));
    let ar = find(&shown, Some("2026-03"), Some("ar"));
    assert_eq!(
        ar.counts[..6],
        [
            Count::Shown(10),
            H,
            Count::Shown(0),
            Count::Shown(0),
            Count::Shown(0),
            H
        ]
    );
}

#[test]
fn a_total_does_not_give_a_hidden_cell_away() {
    // March: uk 10, ar 3, fa 20 bookings, all filled; April: uk 10, fa 20.
    let cells = table(&[
        ("2026-03", "uk", [10, 0, 0, 0, 0], 0),
        ("2026-03", "ar", [3, 0, 0, 0, 0], 0),
        ("2026-03", "fa", [20, 0, 0, 0, 0], 0),
        ("2026-04", "uk", [10, 0, 0, 0, 0], 0),
        ("2026-04", "fa", [20, 0, 0, 0, 0], 0),
    ]);
    let shown = suppress(&cells);
    assert_eq!(find(&shown, Some("2026-03"), Some("ar")).bookings(), H);
    // March's total is 33: the smallest other count of March (uk, 10) is hidden too.
    assert_eq!(find(&shown, Some("2026-03"), Some("uk")).bookings(), H);
    // ar over all months equals its only cell: hidden.
    assert_eq!(find(&shown, None, Some("ar")).bookings(), H);
    // uk over the months is 20 = March (hidden) + April (10): April is hidden too;
    // then April's 30 = uk (hidden) + fa (20) hides April's fa, and fa's 40 over the
    // months hides March's fa.
    assert_eq!(find(&shown, Some("2026-04"), Some("uk")).bookings(), H);
    assert_eq!(find(&shown, Some("2026-04"), Some("fa")).bookings(), H);
    assert_eq!(find(&shown, Some("2026-03"), Some("fa")).bookings(), H);
    // The keys' 63 = uk 20 + ar (hidden) + fa 40: uk's line over the period goes too.
    assert_eq!(find(&shown, None, Some("uk")).bookings(), H);
    assert_eq!(find(&shown, None, Some("fa")).bookings(), Count::Shown(40));
    assert_eq!(
        find(&shown, Some("2026-03"), None).bookings(),
        Count::Shown(33)
    );
    assert_eq!(find(&shown, None, None).bookings(), Count::Shown(63));
    let json = serde_json::to_value(H).expect("json");
    assert_eq!(json, serde_json::json!("<5"));
    assert_eq!(
        serde_json::to_value(Count::Shown(7)).expect("json"),
        serde_json::json!(7)
    );
}

/// Every sum the report shows: each (total, parts) for one measure.
fn sums_of(cells: &[ReportCell]) -> Vec<Vec<(usize, usize)>> {
    let at = |m: Option<&str>, k: Option<&str>| {
        cells
            .iter()
            .position(|c| c.month.as_deref() == m && c.key.as_deref() == k)
    };
    let months: BTreeSet<&str> = cells.iter().filter_map(|c| c.month.as_deref()).collect();
    let keys: BTreeSet<&str> = cells.iter().filter_map(|c| c.key.as_deref()).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for m in &months {
        let mut g = vec![at(Some(m), None).expect("month")];
        g.extend(keys.iter().filter_map(|k| at(Some(m), Some(k))));
        groups.push(g);
    }
    for k in &keys {
        let mut g = vec![at(None, Some(k)).expect("key")];
        g.extend(months.iter().filter_map(|m| at(Some(m), Some(k))));
        groups.push(g);
    }
    let total = at(None, None).expect("total");
    groups.push(
        std::iter::once(total)
            .chain(months.iter().filter_map(|m| at(Some(m), None)))
            .collect(),
    );
    groups.push(
        std::iter::once(total)
            .chain(keys.iter().filter_map(|k| at(None, Some(k))))
            .collect(),
    );
    let mut sums: Vec<Vec<(usize, usize)>> = Vec::new();
    for g in groups {
        for m in 0..MEASURES {
            sums.push(g.iter().map(|c| (*c, m)).collect());
        }
    }
    for c in 0..cells.len() {
        sums.push(
            std::iter::once((c, BOOKINGS))
                .chain(PARTS.iter().map(|m| (c, *m)))
                .collect(),
        );
    }
    sums
}

fn cell_strategy() -> impl Strategy<Value = (usize, usize, [i64; 5], i64)> {
    (
        0..3usize,
        0..4usize,
        prop::array::uniform5(prop_oneof![Just(0i64), 1..5i64, 5..40i64]),
        0..8i64,
    )
}

proptest! {
    #[test]
    fn no_sum_holds_a_single_hidden_count(parts in prop::collection::vec(cell_strategy(), 1..14)) {
        let months = ["2026-01", "2026-02", "2026-03"];
        let keys = ["uk", "ar", "fa", "ru"];
        let parts: Vec<(&str, &str, [i64; 5], i64)> = parts
            .iter()
            .map(|(m, k, p, c)| (months[*m], keys[*k], *p, *c))
            .collect();
        let cells = table(&parts);
        let shown = suppress(&cells);
        for (cell, s) in cells.iter().zip(&shown) {
            let values = counts(&cell.figures);
            for (value, count) in values.iter().zip(s.counts) {
                if *value > 0 && *value < THRESHOLD {
                    prop_assert_eq!(count, H);
                }
                if let Count::Shown(n) = count {
                    prop_assert_eq!(n, *value);
                }
            }
        }
        for sum in sums_of(&cells) {
            let hidden = sum.iter().filter(|(c, m)| shown[*c].counts[*m] == H).count();
            prop_assert!(hidden != 1, "one hidden count in {:?}", sum);
        }
    }
}
