fn main() {
    std::process::exit(backlint::cli::run())
}
