"""The agreement rule of the README's seed-paper table (scripts/seeds_table.py), apart so that it can be
tested without the results files (tests/scripts/test_seeds_verdict.py) and stated in one place.

A paper's figure is a ratio (neutral 1: "x times faster") or a reduction in percent (neutral 0); a
reproduced value is a mean with the half-width of its 95% interval across seeds (NaN: one seed).

* A point agrees iff the mean lies within TOL (25%) of the paper's figure AND its interval does not reach
  the neutral value or beyond it, i.e. the seeds do not leave open that the paper's policy loses.
* A range (the paper says "A-Bx"; the reproduced side is the span of several points) agrees iff the
  reproduced span lies inside the paper's range widened by TOL: [A (1 - TOL), B (1 + TOL)].
* Otherwise "same direction" when every reproduced mean lies on the paper's side of neutral, else
  "disagrees".
* An absolute figure (tok/s) agrees iff within TOL; it has no direction, so otherwise it disagrees.

TOL is the tolerance issue 16 sets for held-out figures.
"""
import math

TOL = 0.25
AGREES, SAME, DISAGREES, NONE = "agrees", "same direction", "disagrees", "no result"


def _nan(*xs):
    return any(x is None or math.isnan(x) for x in xs)


def _side(x, neutral):
    """+1 above neutral, -1 below, 0 on it."""
    return (x > neutral) - (x < neutral)


def _direction(means, paper, neutral):
    """SAME when every mean favours the policy the paper's figure favours, else DISAGREES."""
    want = _side(paper, neutral)
    return SAME if want != 0 and all(_side(m, neutral) == want for m in means) else DISAGREES


def point(mean, half, paper, neutral=1.0):
    """Verdict of one reproduced mean ± half (half NaN: no interval) against one paper figure."""
    if _nan(mean, paper):
        return NONE
    within = abs(mean - paper) <= TOL * abs(paper)
    h = 0.0 if _nan(half) else abs(half)
    clear = _side(mean - h, neutral) == _side(mean + h, neutral) == _side(paper, neutral)
    if within and clear:
        return AGREES
    return _direction([mean], paper, neutral)


def span(means, paper_lo, paper_hi, neutral=1.0):
    """Verdict of the span of several reproduced means against the paper's range [paper_lo, paper_hi]."""
    finite = [m for m in means if not _nan(m)]
    if not finite or _nan(paper_lo, paper_hi):
        return NONE
    if paper_lo * (1 - TOL) <= min(finite) and max(finite) <= paper_hi * (1 + TOL):
        return AGREES
    return _direction(finite, paper_lo, neutral)


def absolute(value, paper):
    """Verdict of an absolute figure (a rate): within TOL or not."""
    if _nan(value, paper):
        return NONE
    return AGREES if abs(value - paper) <= TOL * abs(paper) else DISAGREES


def combine(verdicts):
    """One verdict for several points each checked against its own figure: the common one, else the count
    of each, e.g. '1 of 3 agree, 2 same direction'."""
    if len(set(verdicts)) == 1:
        return verdicts[0]
    n = len(verdicts)
    parts = [f"{verdicts.count(AGREES)} of {n} agree"]
    parts += [f"{verdicts.count(v)} {v}" for v in (SAME, DISAGREES, NONE) if v in verdicts]
    return ", ".join(parts)
