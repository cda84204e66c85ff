//! `rollbook-guest`: the native runner CLI (see `rollbook-guest help`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match rollbook_guest_runner::commands::run(&args) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprint!("{e}");
            if !e.ends_with('\n') {
                eprintln!();
            }
            std::process::exit(1);
        }
    }
}
