"""Reading rendered pages in tests: the navigation labels, the visible text."""

from __future__ import annotations

from html.parser import HTMLParser

from django.http import HttpResponse


class _NavParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_nav = False
        self.in_link = False
        self.labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav" and ("class", "mainnav") in attrs:
            self.in_nav = True
        elif tag == "a" and self.in_nav:
            self.in_link = True
            self.labels.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_nav = False
        elif tag == "a":
            self.in_link = False

    def handle_data(self, data: str) -> None:
        if self.in_link:
            self.labels[-1] += data.strip()


def nav_labels(response: HttpResponse) -> list[str]:
    """The labels of the main navigation's links, in order."""
    parser = _NavParser()
    parser.feed(response.content.decode())
    return parser.labels


def text(response: HttpResponse) -> str:
    return response.content.decode()
