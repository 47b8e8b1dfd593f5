//! Finding the fixes that break a package: re-apply them in halves and keep every half that
//! passes, so that one bad fix does not cost the package all its fixes.

/// Given `count` fixes that fail together (`failure`), returns the indices of those kept (all of
/// them pass together, as far as the trials showed) and of those dropped, each with the failure
/// seen when it was added on its own. `trial(set)` applies exactly the fixes in `set` and
/// returns the failure, if any.
///
/// Each half is tried on top of what is already kept, so a fix that breaks only together with
/// another is dropped with the later of the two. About 2·log2(count) trials per bad fix.
pub fn keep_passing<F: Clone>(
    count: usize,
    failure: F,
    trial: &mut dyn FnMut(&[usize]) -> Option<F>,
) -> (Vec<usize>, Vec<(usize, F)>) {
    let candidates: Vec<usize> = (0..count).collect();
    let mut split = Split {
        kept: Vec::new(),
        dropped: Vec::new(),
        trial,
    };
    split.add(&candidates, Some(failure));
    (split.kept, split.dropped)
}

struct Split<'t, F> {
    kept: Vec<usize>,
    dropped: Vec<(usize, F)>,
    trial: &'t mut dyn FnMut(&[usize]) -> Option<F>,
}

impl<F: Clone> Split<'_, F> {
    /// Adds what of `candidates` passes on top of `kept`. `known` is the failure of
    /// `kept ∪ candidates` when it is already known.
    fn add(&mut self, candidates: &[usize], known: Option<F>) {
        if candidates.is_empty() {
            return;
        }
        let failure = match known {
            Some(failure) => failure,
            None => {
                let set: Vec<usize> = self.kept.iter().chain(candidates).copied().collect();
                match (self.trial)(&set) {
                    None => {
                        self.kept.extend_from_slice(candidates);
                        return;
                    }
                    Some(failure) => failure,
                }
            }
        };
        if let [only] = candidates {
            self.dropped.push((*only, failure));
            return;
        }
        let (first, second) = candidates.split_at(candidates.len() / 2);
        let kept_before = self.kept.len();
        self.add(first, None);
        // All of the first half passed, so the failure is in the second half.
        let second_known = (self.kept.len() - kept_before == first.len()).then_some(failure);
        self.add(second, second_known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package whose tests fail when any fix in `bad` is applied; counts the trials.
    fn run(count: usize, bad: &[usize]) -> (Vec<usize>, Vec<usize>, usize) {
        let mut trials = 0;
        let mut trial = |set: &[usize]| {
            trials += 1;
            set.iter().find(|fix| bad.contains(fix)).copied()
        };
        let first_bad = bad[0];
        let (mut kept, dropped) = keep_passing(count, first_bad, &mut trial);
        kept.sort();
        let mut dropped: Vec<usize> = dropped.into_iter().map(|(fix, _)| fix).collect();
        dropped.sort();
        (kept, dropped, trials)
    }

    #[test]
    fn one_bad_fix_of_two_costs_one_trial() {
        assert_eq!(run(2, &[1]), (vec![0], vec![1], 1));
        assert_eq!(run(2, &[0]).0, vec![1]);
    }

    #[test]
    fn only_the_bad_fixes_are_dropped() {
        let (kept, dropped, trials) = run(16, &[3, 11]);
        assert_eq!(dropped, vec![3, 11]);
        assert_eq!(kept.len(), 14);
        assert!(trials <= 2 * 2 * 4, "{trials} trials");
    }

    #[test]
    fn all_bad_drops_all() {
        let (kept, dropped, _) = run(3, &[0, 1, 2]);
        assert!(kept.is_empty());
        assert_eq!(dropped, vec![0, 1, 2]);
    }

    #[test]
    fn the_dropped_fix_carries_the_failure_it_caused() {
        let mut trial = |set: &[usize]| set.contains(&2).then_some("fix 2 breaks TestX");
        let (_, dropped) = keep_passing(4, "all fail", &mut trial);
        assert_eq!(dropped, vec![(2, "fix 2 breaks TestX")]);
    }
}
