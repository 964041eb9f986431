"""Counting votes: group equal answers and pick the winning group, by count or by weight.

Grouping is greedy and ordered: each vote joins the first group whose first answer it is
equal to (:func:`~sdg_voting.equivalence.compare`), else it starts a group. That is at most
one comparison per vote and group (O(k^2) for k votes) and gives the same groups for the
same votes in the same order, even where equality is not transitive (``"1%"`` equals
``"1"`` and ``"0.01"``, which differ).

The winner is the group with the most votes, or with ``weighted`` the largest sum of vote
weights (:func:`~sdg_voting.ballot.vote_weight`), then the most votes. Weights equal to 12
significant digits are a tie. A tie goes to the group whose first vote came earliest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from sdgcore import Vote

_DIGITS = 12


@attrs.frozen
class Group:
    """Votes for one answer, in the order they were cast.

    :param votes: the votes; the first is the group's representative.
    :param first: the position of the first vote among all votes.
    """

    votes: tuple[Vote, ...]
    first: int

    @property
    def count(self) -> int:
        return len(self.votes)

    @property
    def weight(self) -> float:
        return sum(vote.weight for vote in self.votes)


def group_votes(votes: Sequence[Vote], same: Callable[[str, str], bool]) -> list[Group]:
    """Greedy ordered groups of the votes that have an answer (see the module docstring);
    ``same(representative, answer)`` says whether an answer joins a group."""
    members: list[list[Vote]] = []
    firsts: list[int] = []
    for position, vote in enumerate(votes):
        if vote.answer is None:
            continue
        for group in members:
            if same(group[0].answer or "", vote.answer):
                group.append(vote)
                break
        else:
            members.append([vote])
            firsts.append(position)
    return [Group(tuple(group), first) for group, first in zip(members, firsts, strict=True)]


def winner(groups: Sequence[Group], *, weighted: bool = False) -> Group:
    """The winning group (see the module docstring). ``groups`` must not be empty."""
    def rank(group: Group) -> tuple[float, int, int]:
        weight = float(f"{group.weight:.{_DIGITS}g}") if weighted else 0.0
        return (weight, group.count, -group.first)

    return max(groups, key=rank)
