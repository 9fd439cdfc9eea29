"""The docs' web site (`trainspec docs --html`): a page for every spec, every link and image inside the site,
nothing fetched from the network, no TeX left unconverted, the same bytes on a rebuild, and the math laid out by a
real browser.

The site is built once from the generated docs. The browser test opens every page in headless Chromium (Debian's
``chromium``, driven by Playwright, which downloads no browser of its own) and saves a full-page screenshot of each
in ``build/screenshots/html/`` for a person to look at. Without chromium, pdflatex or pdftocairo the tests fail
under CI and are skipped elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import GENERATED_DIR, PACKAGE, REPO, SPECS_DIR, run_trainspec, tree

from codegen.load import load_registry
from codegen.tools.html import build_site

REGISTRY = load_registry(SPECS_DIR)
SCREENSHOTS = REPO / "build" / "screenshots" / "html"
# What Chromium needs to run headless as root on a machine with no network and no screen.
CHROMIUM_ARGUMENTS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A TeX control word or a dollar sign in the text a reader sees: math pandoc did not convert.
RAW_TEX = re.compile(r"\\[A-Za-z]+|\$")


def requires(program: str, install: str) -> str:
    """``program``'s path; missing, it fails the test under CI and skips it elsewhere."""
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed (apt-get install {install})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    requires("pdflatex", "texlive-latex-base")
    requires("pdftocairo", "poppler-utils")
    return build_site(GENERATED_DIR, tmp_path_factory.mktemp("site") / "html", package=PACKAGE, specs_dir=SPECS_DIR)


class Page(HTMLParser):
    """What the tests read of a page: links, images, element ids, and the text outside math."""

    def __init__(self, text: str):
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()
        self.visible: list[str] = []
        self.math_depth = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "math":
            self.math_depth += 1
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag in ("a", "link") and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in ("img", "script", "iframe", "source") and attributes.get("src"):
            self.images.append(attributes["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "math":
            self.math_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.math_depth == 0:
            self.visible.append(data)


def pages_of(site: Path) -> dict[str, Page]:
    return {path.name: Page(path.read_text(encoding="utf-8")) for path in sorted(site.glob("*.html"))}


def test_every_spec_has_exactly_one_page(site: Path) -> None:
    """Each spec's section says where it is declared; that file is named on one page, the spec's own."""
    texts = {path.name: path.read_text(encoding="utf-8") for path in site.glob("*.html")}
    for spec in REGISTRY.everything:
        holding = [name for name, text in texts.items() if spec.source in text]
        assert len(holding) == 1, f"{spec.name}: {spec.source} is named on {holding}"


def test_links_and_images_stay_inside_the_site_and_resolve(site: Path) -> None:
    pages = pages_of(site)
    reached = set()
    for name, page in pages.items():
        for target in page.links + page.images:
            assert not re.match(r"^[a-z]+:|^//", target), f"{name} points outside the site: {target}"
            file, _, anchor = target.partition("#")
            file = file or name
            assert (site / file).is_file(), f"{name} links to {target}, which is not in the site"
            if anchor:
                assert anchor in pages[file].ids, f"{name} links to {target}: {file} has no element {anchor!r}"
            reached.add(file)
    # The index reaches every page, and every page the index.
    assert {link.partition("#")[0] for link in pages["index.html"].links} >= set(pages) - {"index.html"}
    assert "index.html" in reached


def test_no_tex_is_left_outside_the_math(site: Path) -> None:
    for name, page in pages_of(site).items():
        text = "".join(page.visible)
        assert not RAW_TEX.search(text), f"{name} shows TeX: {RAW_TEX.findall(text)[:5]}"
        assert 'class="math' not in (site / name).read_text(encoding="utf-8"), f"{name} has math pandoc left as TeX"


def test_plots_are_svg_files_of_the_site(site: Path) -> None:
    images = {image for page in pages_of(site).values() for image in page.images}
    figures = sorted((GENERATED_DIR / "docs").rglob("*.tex"))
    inputs = {m for path in figures for m in re.findall(r"\\input\{(figures/[^}]+)\}", path.read_text("utf-8"))}
    assert images == {f"{name}.svg" for name in inputs}
    for image in images:
        root = ElementTree.parse(site / image).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        width, height = (float(root.get(side).removesuffix("pt")) for side in ("width", "height"))
        assert 200 < width < 600 and 50 < height < 600, (image, width, height)
        # Curves as lines, not picture mode's short rules: a few thousand paths at most.
        assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) < 6000, image


def test_a_rebuild_is_byte_identical(site: Path, tmp_path: Path) -> None:
    again = build_site(GENERATED_DIR, tmp_path / "again", package=PACKAGE, specs_dir=SPECS_DIR)
    assert tree(again) == tree(site)


def test_a_folder_that_is_not_a_site_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me", encoding="utf-8")

    result = run_trainspec("docs", "--html", str(folder))

    assert result.returncode == 1
    assert f"error: {folder} exists and is not a site" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(folder) == {"mine.txt": b"keep me"}


# --------------------------------------------------------------------------- in a browser

# For each formula: its size as laid out; for each image: whether it loaded; and the text a reader sees.
MEASURE = """() => ({
    formulas: [...document.querySelectorAll("math")].map((m) => {
        const box = m.getBoundingClientRect();
        return [box.width, box.height, m.textContent.slice(0, 40)];
    }),
    images: [...document.images].map((i) => [i.getAttribute("src"), i.complete, i.naturalWidth]),
    text: document.body.innerText,
})"""


def layout_problems(page) -> list[str]:
    """What a reader of the open ``page`` would see wrong: a formula with no size, an image that did not load,
    TeX in the text."""
    seen = page.evaluate(MEASURE)
    problems = [f"formula {text!r} is {w}x{h} px" for w, h, text in seen["formulas"] if w < 1 or h < 1]
    problems += [f"image {src} did not load" for src, complete, width in seen["images"] if not complete or not width]
    problems += [f"TeX in the text: {found!r}" for found in RAW_TEX.findall(seen["text"])[:3]]
    return problems


@pytest.fixture(scope="module")
def browser():
    chromium = requires("chromium", "chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGUMENTS)
        yield launched
        launched.close()


def test_the_check_sees_raw_tex_an_empty_formula_and_a_missing_image(browser, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html><body><p>$\\frac{a}{b}$</p><math></math><img src="gone.svg"></body></html>',
        encoding="utf-8",
    )
    page = browser.new_page()
    page.goto(broken.as_uri())
    problems = layout_problems(page)
    page.close()
    assert any(problem.startswith("formula") for problem in problems)
    assert any(problem.startswith("image gone.svg") for problem in problems)
    assert any(problem.startswith("TeX in the text") for problem in problems)


def test_every_page_lays_out_its_math_in_chromium(site: Path, browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1000, "height": 1200})
    fetched = []
    page.on("request", lambda request: None if request.url.startswith("file:") else fetched.append(request.url))
    problems = {}
    for path in sorted(site.glob("*.html")):
        page.goto(path.as_uri())
        if found := layout_problems(page):
            problems[path.name] = found
        page.screenshot(path=SCREENSHOTS / f"{path.stem}.png", full_page=True)
    page.close()
    assert not problems
    assert not fetched, f"pages fetched {fetched[:3]}"
