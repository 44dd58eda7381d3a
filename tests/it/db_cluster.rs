//! The throwaway cluster starts, serves queries, and leaves no process or directory
//! behind when dropped. Must not need DATABASE_URL.

use std::time::Duration;

use techspec_bench::db::cluster::ThrowawayCluster;

fn process_exists(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_cluster_answers_and_is_gone_after_drop() {
    let cluster = ThrowawayCluster::start(Duration::from_secs(10))
        .await
        .expect("cluster starts");
    let target = cluster.target();
    assert!(target.throwaway);
    assert!(
        target.display.starts_with("postgres://postgres@/"),
        "{}",
        target.display
    );
    let client = techspec_bench::db::connect(&target)
        .await
        .expect("connects");
    let row = client
        .query_one(
            "SELECT current_setting('fsync'), current_setting('listen_addresses')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "on");
    assert_eq!(row.get::<_, String>(1), "");
    drop(client);
    let dir = cluster.path().to_path_buf();
    let pid_file =
        std::fs::read_to_string(dir.join("data/postmaster.pid")).expect("postmaster.pid");
    let pid: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    assert!(process_exists(pid));
    drop(cluster);
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(!process_exists(pid), "postmaster {pid} still runs");
}
