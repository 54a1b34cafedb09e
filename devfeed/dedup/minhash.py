"""The text fingerprint's arithmetic for many texts at once, with numpy.

`text._shingles` and the MinHash bands of `text.index_keys` cost ~70 µs a text in Python,
most of it the interpreter's per-word overhead; a parse worker spends a third of its time
there on a first poll. Here the texts of a whole feed go through numpy together, a few
dozen array operations for all of them (~25 µs a text).

The numbers are exactly those of the Python functions, which stay the reference (and the
path for a handful of texts, where numpy's fixed cost is more than it saves): a bigram is
CPython's `hash` of the pair of word hashes, written out below (the tuple hash has been
xxHash-based and the same in every process since Python 3.8; an int hashes to itself
modulo 2**61 - 1), cut to 30 bits. A test compares both on generated texts and on real
feeds; a stored index key never changes with the path that computed it.

numpy is imported by the first call, not with devfeed.dedup: the reader and most commands
never fingerprint anything.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy

_XXPRIME_1 = 11400714785074694791
_XXPRIME_2 = 14029467366897019727
_XXPRIME_5 = 2870177450012600261
_PAIR_LENGTH = 2 ^ (_XXPRIME_5 ^ 3527539)
"""What CPython's tuple hash adds for a tuple of two."""
_TUPLE_HASH_OF_MINUS_ONE = 1546275796
"""CPython's tuple hash never returns -1: it returns this instead."""
_HASH_MODULUS = (1 << 61) - 1
"""CPython hashes a non-negative int to its remainder by this."""
_MASK64 = (1 << 64) - 1


class Arithmetic:
    """The constants as numpy scalars, made once (numpy is imported when first needed)."""

    def __init__(self, bins: int, bands: int, rows: int, mix: int) -> None:
        if not 0 < bins <= 32 or bands * rows != bins:
            raise ValueError("bins must be bands x rows, at most 32 (five bits of a sort key)")
        import numpy as np

        self.np = np
        self.u64 = np.uint64
        self.bins, self.bands, self.rows = bins, bands, rows
        self.mix = np.uint64(mix)
        self.band_numbers = np.arange(1, bands + 1, dtype=np.uint64)
        self.step_mix = np.array([(step * mix) & _MASK64 for step in range(bins)], np.uint64)
        self.prime_1 = np.uint64(_XXPRIME_1)
        self.prime_2 = np.uint64(_XXPRIME_2)
        self.prime_5 = np.uint64(_XXPRIME_5)
        self.pair_length = np.uint64(_PAIR_LENGTH)
        self.modulus = np.uint64(_HASH_MODULUS)
        self.minus_one = np.uint64(_MASK64)
        self.mask30 = np.uint64((1 << 30) - 1)
        self.mask63 = np.uint64((1 << 63) - 1)


def shingles_and_bands(
    texts: Sequence[Sequence[str]], word_hashes: Mapping[str, int], arithmetic: Arithmetic
) -> list[tuple[bytes, tuple[int, ...]]]:
    """For each text (its content words, at least two), what `text.fingerprint` stores as
    its shingles (the distinct 30-bit bigram hashes, ascending, as 32-bit numbers) and the
    MinHash band keys `text.index_keys` gives it. `word_hashes[word]` is `text._hash64`
    of each word."""
    a = arithmetic
    np, u64 = a.np, a.u64
    count = len(texts)
    lengths = np.fromiter(map(len, texts), np.int64, count)
    if count == 0 or lengths.min() < 2:
        raise ValueError("every text needs two words or more (a bigram)")
    hashes = np.array(
        list(map(word_hashes.__getitem__, itertools.chain.from_iterable(texts))), np.uint64
    )
    lanes = hashes % a.modulus  # hash(int)
    with np.errstate(over="ignore"):  # unsigned arithmetic wraps around, as in C
        acc = a.prime_5 + lanes[:-1] * a.prime_2  # hash((first, second))
        acc = (acc << u64(31)) | (acc >> u64(33))
        acc *= a.prime_1
        acc += lanes[1:] * a.prime_2
        acc = (acc << u64(31)) | (acc >> u64(33))
        acc *= a.prime_1
        acc += a.pair_length
    acc[acc == a.minus_one] = u64(_TUPLE_HASH_OF_MINUS_ONE)
    bigrams = acc & a.mask30
    # a pair of the last word of one text and the first of the next is no bigram
    owners = np.repeat(np.arange(count, dtype=np.uint64), lengths)[:-1]
    inside = np.ones(len(bigrams), bool)
    inside[np.cumsum(lengths)[:-1] - 1] = False
    keyed = np.sort((owners[inside] << u64(32)) | bigrams[inside])
    keyed = keyed[_firsts(np, keyed)]  # distinct, by text then value
    owner = keyed >> u64(32)
    values = keyed & a.mask30
    bounds = np.searchsorted(owner, np.arange(count + 1, dtype=np.uint64)).tolist()
    packed = values.astype(np.uint32)
    shingles = [packed[bounds[i] : bounds[i + 1]].tobytes() for i in range(count)]
    bands = _bands(a, count, owner, values)
    return list(zip(shingles, map(tuple, bands.tolist()), strict=True))


def _firsts(np: Any, ordered: numpy.ndarray) -> Any:
    """Where each run of equal values in `ordered` starts."""
    first = np.empty(len(ordered), bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def _bands(a: Arithmetic, count: int, owner: numpy.ndarray, values: numpy.ndarray) -> Any:
    """`index_keys`' band keys of each text from its distinct bigrams: each bin keeps its
    least value, an empty bin takes the next filled one's (cyclically) plus `step` times
    the mix, and each band of `rows` bins is mixed into one key."""
    np, u64 = a.np, a.u64
    bins = values % u64(a.bins)
    # sorted by (text, bin, value): the first of each (text, bin) is the bin's least
    keyed = np.sort((owner << u64(35)) | (bins << u64(30)) | values)
    slot = keyed >> u64(30)
    least = keyed[_firsts(np, slot)]
    slot = (least >> u64(30)).astype(np.int64)
    mins = np.zeros((count, a.bins), np.uint64)
    filled = np.zeros((count, a.bins), bool)
    mins[slot >> 5, slot & 31] = least & a.mask30
    filled[slot >> 5, slot & 31] = True
    chosen = mins.copy()
    done = filled.copy()
    step = 0
    with np.errstate(over="ignore"):
        while not done.all():
            step += 1
            later = np.roll(filled, -step, axis=1) & ~done
            chosen[later] = np.roll(mins, -step, axis=1)[later] + a.step_mix[step]
            done |= later
        rows = chosen.reshape(count, a.bands, a.rows)
        keys = a.band_numbers  # band + 1, for every text
        for row in range(a.rows):
            keys = keys * a.mix + rows[:, :, row]
    return keys & a.mask63
