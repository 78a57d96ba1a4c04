"""The "summit in figures": every app contributes its counts, computed by queries, never stored.

An app registers, in its ``AppConfig.ready``, a function ``summit -> dict[str, int]`` and,
optionally, a function ``summit -> iterable of country codes`` so that ``countries`` counts the
union of every country the summit touches (speakers, institutions, later guests …).
"""

from collections.abc import Callable, Iterable

FigureSource = Callable[[object], dict[str, int]]
CountrySource = Callable[[object], Iterable[str]]

_figure_sources: list[FigureSource] = []
_country_sources: list[CountrySource] = []


def register(source: FigureSource, *, countries: CountrySource | None = None) -> None:
    if source not in _figure_sources:
        _figure_sources.append(source)
    if countries is not None and countries not in _country_sources:
        _country_sources.append(countries)


def summit_figures(summit) -> dict[str, int]:
    codes: set[str] = set()
    for source in _country_sources:
        codes.update(str(code) for code in source(summit) if code)
    result: dict[str, int] = {"countries": len(codes)}
    for source in _figure_sources:
        result.update(source(summit))
    return result
