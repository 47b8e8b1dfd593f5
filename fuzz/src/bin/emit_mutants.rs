//! Writes mutants for fuzz/differential.sh, deterministically: mutant `i` is the seed corpus
//! mutated by 512 bytes of SplitMix64 seeded with `i`, through the same `deferfix_fuzz::mutant`
//! the `mutated_go` target uses.
//!
//! Usage: emit_mutants SEEDS_DIR OUT_DIR FROM COUNT
//!
//! Mutant `i` goes to `OUT_DIR/<version>/m<i>/m.go`, one package per directory (no package index
//! across unrelated mutants), under `nomod/` when it has no module version and `go1.N/` (with a
//! `go.mod` saying `go 1.N`) otherwise, so `deferfix` over OUT_DIR sees the mutant's version.

use std::path::PathBuf;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [seeds, out, from, count] = args.as_slice() else {
        eprintln!("usage: emit_mutants SEEDS_DIR OUT_DIR FROM COUNT");
        std::process::exit(2);
    };
    let (Ok(from), Ok(count)) = (from.parse::<u64>(), count.parse::<u64>()) else {
        eprintln!("emit_mutants: FROM and COUNT are numbers");
        std::process::exit(2);
    };
    let seeds = deferfix_fuzz::load_seeds(&PathBuf::from(seeds));
    if seeds.is_empty() {
        eprintln!("emit_mutants: no seeds in {seeds:?}");
        std::process::exit(2);
    }
    let out = PathBuf::from(out);
    for index in from..from + count {
        let mut state = index;
        let data: Vec<u8> = (0..64)
            .flat_map(|_| splitmix64(&mut state).to_le_bytes())
            .collect();
        let mutant = deferfix_fuzz::mutant(&data, &seeds);
        let module = match mutant.go_version {
            None => out.join("nomod"),
            Some(version) => {
                let module = out.join(format!("go{version}"));
                if !module.join("go.mod").exists() {
                    std::fs::create_dir_all(&module)?;
                    std::fs::write(
                        module.join("go.mod"),
                        format!("module fuzz.invalid/mutants\n\ngo {version}\n"),
                    )?;
                }
                module
            }
        };
        let dir = module.join(format!("m{index:06}"));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("m.go"), mutant.text)?;
    }
    println!("{count}");
    Ok(())
}
