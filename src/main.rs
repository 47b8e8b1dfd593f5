fn main() -> std::process::ExitCode {
    deferfix::cli::main()
}
