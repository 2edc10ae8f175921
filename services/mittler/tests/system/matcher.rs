//! The offline matcher against the benchmark kit: every solution is valid by the
//! independent checker (`shared/workload/check.py`) and beats the greedy baseline.

use std::path::PathBuf;
use std::process::Command;

fn workload() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/workload")
}

fn check(instance: &PathBuf, solution: &PathBuf) -> serde_json::Value {
    let output = Command::new("python3")
        .arg(workload().join("check.py"))
        .arg(instance)
        .arg(solution)
        .output()
        .expect("python3 runs check.py");
    assert!(
        output.status.success(),
        "check.py refused the solution: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("check.py prints JSON")
}

#[test]
fn solutions_are_valid_and_beat_greedy_on_the_small_instances() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["small-s1", "small-s2", "small-dst-s1"] {
        let instance = workload().join("instances").join(format!("{name}.json"));
        let text = std::fs::read_to_string(&instance).expect("instance");
        let parsed: mittler::matcher::Instance = serde_json::from_str(&text).expect("parses");
        let solution =
            mittler::matcher::solve(&parsed, std::time::Duration::from_secs(5)).expect("solves");
        let ours = dir.path().join(format!("{name}.mittler.json"));
        std::fs::write(&ours, serde_json::to_string(&solution).expect("json")).expect("write");
        let score = check(&instance, &ours);
        assert_eq!(score["valid"], true, "{name}: {score}");

        let greedy = dir.path().join(format!("{name}.greedy.json"));
        let status = Command::new("python3")
            .arg(workload().join("greedy.py"))
            .arg(&instance)
            .arg("-o")
            .arg(&greedy)
            .output()
            .expect("greedy.py runs");
        assert!(status.status.success());
        let baseline = check(&instance, &greedy);
        let (ours, theirs) = (
            score["weighted_coverage"].as_i64().expect("n"),
            baseline["weighted_coverage"].as_i64().expect("n"),
        );
        assert!(ours > theirs, "{name}: {ours} must beat greedy's {theirs}");
    }
}
