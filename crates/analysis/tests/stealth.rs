//! Named points of the stealth grid of docs/ANALYSIS.md: careful fraud is
//! still found, and honest look-alikes raise nothing.

mod harness;

use harness::{flag_errors, run_with, Outcome};
use sim::{Knobs, Scenario};

const SCALE: f64 = 0.0004;
const SEEDS: std::ops::RangeInclusive<u64> = 1..=2;

fn knobs(list: &[&str]) -> Knobs {
    let mut k = Knobs::default();
    for x in list {
        k.set(x).expect("knob");
    }
    k
}

/// Runs a point over the seeds; fails on any missing flag or false alarm.
fn point(scenarios: &[Scenario], list: &[&str]) -> Vec<Outcome> {
    let k = knobs(list);
    SEEDS
        .map(|seed| {
            let o = run_with(scenarios, SCALE, seed, &k);
            let (missing, extra) = flag_errors(&o, scenarios);
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{scenarios:?} {list:?} seed {seed}: missing {missing:?}, false alarms {extra:?}; {:#?}",
                o.report.flags
            );
            o
        })
        .collect()
}

/// Recall and precision of bot accounts, summed over the outcomes.
fn bots(os: &[Outcome]) -> (f64, f64) {
    let (found, judged, truth) = os.iter().fold((0, 0, 0), |(f, j, t), o| {
        (f + o.bots_found, j + o.bots_judged, t + o.bots_true)
    });
    (
        found as f64 / truth as f64,
        found as f64 / judged.max(1) as f64,
    )
}

fn brushing(os: &[Outcome]) -> (f64, f64) {
    let (found, judged, truth) = os.iter().fold((0, 0, 0), |(f, j, t), o| {
        (
            f + o.brushing_found,
            j + o.brushing_judged,
            t + o.brushing_true,
        )
    });
    (
        found as f64 / truth as f64,
        found as f64 / judged.max(1) as f64,
    )
}

#[test]
fn rented_aged_accounts_on_their_own_devices_are_found() {
    // In three other rooms at the same time (the default), and in three
    // rooms on other days: lockstep and concurrency across rooms.
    for list in [&[][..], &["rental_concurrent=false"]] {
        let os = point(&[Scenario::RentedAudience], list);
        let (recall, precision) = bots(&os);
        assert!(recall >= 0.9, "{list:?}: recall {recall}");
        assert!(precision >= 0.95, "{list:?}: precision {precision}");
    }
}

#[test]
fn a_rental_that_interacts_a_little_is_still_found() {
    let os = point(&[Scenario::RentedAudience], &["interaction_rate=0.3"]);
    let (recall, precision) = bots(&os);
    assert!(recall >= 0.9 && precision >= 0.95, "{recall} {precision}");
}

#[test]
fn careful_brushing_rings_are_found() {
    let os = point(&[Scenario::CarefulBrushing], &[]);
    let (recall, precision) = brushing(&os);
    assert!(recall >= 0.9, "recall {recall}");
    assert!(precision >= 0.95, "precision {precision}");
    // What gave them away is the concentration of orders per buyer.
    let ring = &os[0].report.sales.rings[0];
    assert!(ring.concentrated_share > 0.9, "{ring:?}");
    assert!(ring.no_watch_share < 0.1, "{ring:?}");
}

#[test]
fn honest_look_alikes_raise_no_flag() {
    for list in [
        &[][..],
        &["office_accounts=2000", "push_share=0.2", "lurker_share=0.2"],
    ] {
        for o in point(&[Scenario::Confounders], list) {
            assert!(o.flags.is_empty(), "{list:?}: {:#?}", o.report.flags);
            // Not one of the office, the family tablets, the pushed crowd,
            // the lurkers or the fans in other rooms is judged a bot.
            assert!(
                o.humans_judged * 10_000 <= o.humans,
                "{list:?}: {} of {} real viewers judged bots",
                o.humans_judged,
                o.humans
            );
            assert_eq!(o.real_orders_judged, 0, "{list:?}");
        }
    }
}

/// Each look-alike alone, made large: still no flag, no real viewer judged.
#[test]
fn each_honest_look_alike_alone_raises_no_flag() {
    let none = [
        "office_accounts=0",
        "push_share=0",
        "lurker_share=0",
        "family_share=0",
        "fan_rooms=0",
    ];
    for (name, knob) in [
        (
            "an office of 3,000 behind one address",
            "office_accounts=3000",
        ),
        ("a platform push of 30% of the audience", "push_share=0.3"),
        ("30% heavy lurkers", "lurker_share=0.3"),
        ("20% in families on one tablet and card", "family_share=0.2"),
        ("fans in 6 other anchors' rooms", "fan_rooms=6"),
    ] {
        let mut list: Vec<&str> = none
            .iter()
            .copied()
            .filter(|k| k.split('=').next() != knob.split('=').next())
            .collect();
        list.push(knob);
        for o in point(&[Scenario::Confounders], &list) {
            assert!(o.flags.is_empty(), "{name}: {:#?}", o.report.flags);
            assert_eq!(o.humans_judged, 0, "{name}");
            assert_eq!(o.real_orders_judged, 0, "{name}");
        }
    }
}

#[test]
fn fans_of_several_anchors_are_not_a_rented_crowd() {
    // The confounders' fan rooms share 30% of their audience with this
    // session; none of those fans is judged in lockstep or concurrent.
    let o = &point(&[Scenario::Confounders], &[])[0];
    let counts = &o.report.viewers.observed.signal_counts;
    let named = |n: &str| {
        analysis::authenticity::viewers::Signals::ALL
            .iter()
            .position(|(_, x)| *x == n)
            .map(|i| counts[i])
    };
    assert_eq!(named("lockstep_rooms"), Some(0));
    assert_eq!(named("concurrent_rooms"), Some(0));
}
