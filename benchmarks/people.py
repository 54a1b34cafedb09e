"""Made-up people for the benchmarks' synthetic feeds: distinct names, none of which
starts another (a numbered `Person 17` would be the same person as `Person 1` to the
near-duplicate rule, since `person1` starts `person17`)."""

from __future__ import annotations

FIRST = """ada alan anita barbara bjarne brian carol cynthia dana dennis donald edsger elena
    erich farah frances gilad grace guido hal hedy ines ivan jean joan john karen ken leslie
    linus lucia margaret mira niklaus noor olga omar peter priya radia raj rob rosa sophie
    tariq tim ursula vint wei whitfield xavier yara yukihiro zoe amir bruno chen dmitri
    emeka fatima gert hana igor jun kofi lena mateo nadia oscar pablo quinn rhea sven tomas
    uma""".split()  # noqa: SIM905 (a list of 75 one-word strings reads worse)
LAST = """lovelace turing liskov kernighan sloan ritchie dijkstra allen hopper rossum lamarr
    sutherland sammet backus thompson lamport torvalds hamilton wirth naur perlman pike
    wilson berners milner cerf diffie leroy matsumoto yang borg stroustrup dwork knuth gamma
    hibbard bracha abelson okafor nakamura haddad kowalski moreau ferreira novak ivanova
    lindqvist santos tanaka mensah oyelaran petrov quispe rahman schulz teixeira varga zhou
    adeyemi byrne castillo dubois""".split()  # noqa: SIM905
NAMES = [f"{first.title()} {last.title()}" for last in LAST for first in FIRST]
"""Every first name with every last name."""
