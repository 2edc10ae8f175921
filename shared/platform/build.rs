// The migrator embeds `migrations/` at compile time: build again when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
