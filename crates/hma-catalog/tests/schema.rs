//! Both backends' migrations must end with the same tables and columns.

#[test]
fn both_backends_have_the_same_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = hma_catalog::Catalog::open(dir.path().join("c.db").to_str().unwrap()).unwrap();
    let server = std::env::var("HMA_TEST_MYSQL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let name = format!("hma_schema_{}", std::process::id());
    hma_catalog::mysql_create_database(&server, &name).expect("MariaDB must be running for the tests");
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut mysql = hma_catalog::Catalog::open(&url).unwrap();
        let (a, b) = (sqlite.columns().unwrap(), mysql.columns().unwrap());
        assert!(a.len() >= 12, "{a:?}");
        assert_eq!(a, b);
        // Opening again applies nothing new and keeps working.
        drop(mysql);
        hma_catalog::Catalog::open(&url).unwrap().counts().unwrap();
    }));
    hma_catalog::mysql_drop_database(&server, &name).unwrap();
    result.unwrap();
}
