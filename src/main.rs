fn main() -> std::process::ExitCode {
    deferfix::alloc::use_mimalloc_for_tree_sitter();
    deferfix::cli::main()
}
