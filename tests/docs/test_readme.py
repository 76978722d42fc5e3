"""README.md stays a front page: short, with the two commands, and every link into docs/ lands on a page
and heading that exist (mkdocs checks the links between pages, not the README's)."""

from __future__ import annotations

import re
import unicodedata

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def anchor(heading: str) -> str:
    """The id Python-Markdown's toc extension (mkdocs' default) gives a heading."""
    text = unicodedata.normalize("NFKD", heading.replace("`", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text).strip().lower())


def test_the_readme_is_a_front_page_with_the_two_commands() -> None:
    assert len(README.splitlines()) < 200
    assert "make demo" in README
    assert "make test" in README


def test_every_link_of_the_readme_lands_on_a_file_and_heading_that_exist() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#([^)]+))?\)", README)
    assert any(target.startswith("docs/") for target, _ in links)
    for target, fragment in links:
        path = ROOT / target
        assert path.exists(), target
        if fragment:
            headings = re.findall(r"^#+ (.+)$", path.read_text(), re.MULTILINE)
            assert fragment in {anchor(h) for h in headings}, f"{target}#{fragment}"


def test_every_page_of_docs_is_linked_from_the_readme() -> None:
    pages = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")} - {"docs/index.md"}
    linked = set(re.findall(r"\]\((docs/[^)#]+\.md)", README))
    assert pages <= linked
