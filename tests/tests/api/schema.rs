/// The checked-in schema is exactly the one the server serves.
#[test]
fn checked_in_schema_matches_the_served_schema() {
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))
            .expect("schema.graphql at the repository root");
    assert_eq!(
        checked_in,
        api::graphql::sdl(),
        "schema.graphql is stale: regenerate it with `cargo run -p api -- export-schema > schema.graphql`"
    );
}
