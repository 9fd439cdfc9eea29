"""``trainspec docs --html``: the formula documentation as a static web site, from the LaTeX the PDF is made of.

The generated LaTeX stays the one source of the docs. ``build_site`` stages it
as the PDF build does (figures drawn with the generated kernels, the version),
then:

1. typesets the figures once more, each on a page of its own size, and turns
   those pages into SVG with poppler's ``pdftocairo``;
2. has pandoc read the master document with its inputs into pandoc's syntax
   tree, with the math as MathML, which browsers lay out with no script and
   no font fetched;
3. splits the tree into one page per section and subsection (a method, a
   chapter's introduction), points each cross-reference at the page that holds
   its label and names it by that page's title;
4. lays the pages out with the site's templates, beside an index, and puts
   the site in place only when every page is written.

Nothing a page shows is fetched over the network: the math is MathML, the plots
are SVG files of the site, the style sheet is the site's own.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypandoc

from codegen.emit.docs.figure import PICTURE_WIDTH
from codegen.emit.docs.master import SUBJECT, TITLE
from codegen.progress import Progress
from codegen.render import TEMPLATES, environment
from codegen.tools.pdf import REPO, DocsBuildError, master_of, run_tool, staged_docs
from codegen.version import __version__

DEFAULT_SITE = REPO / "build" / "html"
GENERATOR = "trainspec"
"""The generator named in every page's head: a folder whose index names it is a site this command may replace."""
PANDOC_TIMEOUT_S = 300
TEX_TIMEOUT_S = 300
FIGURES = "figures"
# The levels of the headings that start a page: \section and \subsection, unless starred.
PAGE_LEVELS = (1, 2)
PANDOC_TEXT = {
    # The docs' underscore in typewriter text, which copies out of the PDF as "_": pandoc drops it.
    r"\char95{}": r"\_",
    # The root sign in prose (√5): pandoc's math reader takes \surd for a root and wants what goes under it.
    r"\ensuremath{\surd}": "√",
}
"""What pandoc reads in place of LaTeX the docs write in prose that it would lose."""
_PAGE_MARK = "<!-- trainspec page {} -->"
_PAGE_MARK_PATTERN = re.compile(r"^<!-- trainspec page (\S+) -->$", re.MULTILINE)


@dataclass(frozen=True)
class Link:
    file: str
    title: str


@dataclass
class Page:
    """One page of the site: a heading and what follows it up to the next heading that starts a page."""

    name: str
    title: str
    level: int
    blocks: list
    parent: Page | None = None
    body: str = ""

    @property
    def file(self) -> str:
        return f"{self.name}.html"


@dataclass(frozen=True)
class PageModel:
    """What the page template lays out: every string is finished HTML or plain text it escapes."""

    site_title: str
    title: str
    body: str
    up: Link | None
    previous: Link | None
    next: Link | None
    generator: str


@dataclass(frozen=True)
class Entry:
    link: Link
    children: tuple[Link, ...]


@dataclass(frozen=True)
class IndexModel:
    title: str
    subject: str
    version: str
    entries: tuple[Entry, ...]
    generator: str


def build_site(
    out_dir: Path, site: Path | None = None, *, package: str = "trainspec", specs_dir: Path | None = None
) -> Path:
    """Write the web site of the docs generated in ``out_dir`` to ``site`` (default ``build/html``); returns it.

    The plots are drawn with the package ``package`` generated in ``out_dir`` from the specs in ``specs_dir``. A
    folder already at ``site`` is replaced only when it is a site this command wrote, and only once the new one is
    complete. Raises ``DocsBuildError`` when a tool is missing or fails.
    """
    site = Path(site) if site is not None else DEFAULT_SITE
    master = master_of(out_dir)
    _check_replaceable(site)
    pandoc, pdflatex, pdftocairo = _tools()
    specs = REPO / "specs" if specs_dir is None else Path(specs_dir)
    with tempfile.TemporaryDirectory(prefix="trainspec-site-") as scratch:
        work, built = Path(scratch) / "docs", Path(scratch) / "site"
        built.mkdir()
        with Progress() as progress:
            drawn = staged_docs(Path(out_dir), package, specs, work, progress)
            progress.step("docs: the figures as SVG")
            svg_figures(work, drawn, built, pdflatex, pdftocairo)
            progress.step("docs: reading the LaTeX with pandoc")
            document = read_latex(pandoc, work, master.name)
            pages = split_pages(document["blocks"])
            link_references(pages)
            progress.step("docs: writing the pages")
            _convert_bodies(pandoc, document["pandoc-api-version"], pages, work)
            _write_site(pages, built)
        _replace(site, built)
    return site


def _tools() -> tuple[str, str, str]:
    pandoc = pypandoc.get_pandoc_path()
    pdflatex, pdftocairo = shutil.which("pdflatex"), shutil.which("pdftocairo")
    if pdflatex is None or pdftocairo is None:
        missing = "pdflatex" if pdflatex is None else "pdftocairo"
        raise DocsBuildError(
            f"{missing} is not installed (Debian: apt-get install texlive-latex-base poppler-utils); the site's "
            "figures are typeset with pdflatex and turned into SVG with pdftocairo"
        )
    return pandoc, pdflatex, pdftocairo


# --------------------------------------------------------------------------- figures


def svg_figures(work: Path, drawn: list[Path], site: Path, pdflatex: str, pdftocairo: str) -> None:
    """Each figure ``drawn`` in ``work`` as an SVG file in ``site``, at the same path; the figure's LaTeX in ``work``
    then includes the SVG, which pandoc reads as an image."""
    if not drawn:
        return
    inputs = [path.relative_to(work).with_suffix("").as_posix() for path in drawn]
    shipping = work / "trainspec-figures.tex"
    template = environment().get_template("site/figures.tex.jinja")
    shipping.write_text(template.render(width=PICTURE_WIDTH, inputs=inputs), encoding="utf-8")
    command = [pdflatex, "-interaction=nonstopmode", "-halt-on-error", shipping.name]
    _run(command, work, TEX_TIMEOUT_S, f"pdflatex on the figures ({shipping.name})")
    for page, name in enumerate(inputs, start=1):
        target = site / f"{name}.svg"
        target.parent.mkdir(parents=True, exist_ok=True)
        command = [pdftocairo, "-svg", "-f", str(page), "-l", str(page), shipping.with_suffix(".pdf").name, str(target)]
        _run(command, work, TEX_TIMEOUT_S, f"pdftocairo on the figure {name}")
        (work / f"{name}.tex").write_text(f"\\includegraphics{{{name}.svg}}\n", encoding="utf-8")


# --------------------------------------------------------------------------- pandoc's syntax tree


def read_latex(pandoc: str, work: Path, master: str) -> dict:
    """The master document in ``work``, with everything it inputs, as pandoc's syntax tree (a JSON object).

    pandoc does not apply the preamble's macros (its layout of headings and tables is LaTeX's business, and would
    hide the headings from pandoc), and reads the symbols of ``PANDOC_TEXT`` as it can.
    """
    for tex in work.rglob("*.tex"):
        text = tex.read_text(encoding="utf-8")
        for latex, readable in PANDOC_TEXT.items():
            text = text.replace(latex, readable)
        tex.write_text(text, encoding="utf-8")
    command = [pandoc, "--from=latex-latex_macros", "--to=json", master]
    return json.loads(_run(command, work, PANDOC_TIMEOUT_S, f"pandoc on {master}"))


def _run(command: list[str], cwd: Path, timeout: int, what: str, text: str | None = None) -> str:
    """The tool's output; a ``DocsBuildError`` with the last lines it said when it fails."""
    result = run_tool(command, cwd, timeout, what, text=text)
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()[-5:]
        raise DocsBuildError(f"{what} failed (exit {result.returncode}): " + " | ".join(said))
    return result.stdout


def split_pages(blocks: list) -> list[Page]:
    """``blocks`` cut before every numbered heading of a page level; what comes before the first is left out (the
    title and the table of contents, which the index replaces)."""
    pages: list[Page] = []
    names: set[str] = set()
    parent: Page | None = None
    for block in blocks:
        level = _page_heading_level(block)
        if level is None:
            if pages:
                pages[-1].blocks.append(block)
            continue
        identifier, title = block["c"][1][0], plain_text(block["c"][2])
        page = Page(_page_name(identifier or title, names), title, level, [block])
        if level == PAGE_LEVELS[0]:
            parent = page
        else:
            page.parent = parent
        names.add(page.name)
        pages.append(page)
    return pages


def _page_heading_level(block: dict) -> int | None:
    if block["t"] != "Header":
        return None
    level, (_, classes, _), _ = block["c"]
    return level if level in PAGE_LEVELS and "unnumbered" not in classes else None


def _page_name(identifier: str, taken: set[str]) -> str:
    """A file name from a label: ``sec:optimizer:adam`` → ``optimizer-adam``; unique among ``taken``."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", identifier.removeprefix("sec:")).strip("-").lower() or "section"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name


def plain_text(inlines: list) -> str:
    """The text of pandoc inlines, as a reader sees it (math as its TeX source)."""
    parts = []
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            parts.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Code", "Math"):
            parts.append(content[1])
        elif kind in ("Link", "Span", "Image"):
            parts.append(plain_text(content[1]))
        elif kind == "Quoted":
            parts.append(f"“{plain_text(content[1])}”")
        elif isinstance(content, list) and content and isinstance(content[0], dict):
            parts.append(plain_text(content))  # Emph, Strong, SmallCaps, ...
    return "".join(parts)


def _nodes(tree: object) -> Iterator[dict]:
    """Every node of a pandoc tree, depth first."""
    if isinstance(tree, dict):
        if "t" in tree:
            yield tree
        for value in tree.values():
            yield from _nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)


def _identifiers(node: dict) -> list[str]:
    if node["t"] == "Header":
        return [node["c"][1][0]]
    if node["t"] in ("Div", "Span"):
        return [node["c"][0][0]]
    return []


def link_references(pages: list[Page]) -> None:
    """Point every ``\\ref`` at the page holding its label, and name a heading by its title instead of pandoc's
    section number (the site has no section numbers). A label no page holds is a ``DocsBuildError``."""
    holder: dict[str, Page] = {}
    headings: dict[str, str] = {}
    for page in pages:
        for node in _nodes(page.blocks):
            holder.update((identifier, page) for identifier in _identifiers(node) if identifier)
            if node["t"] == "Header":
                headings[node["c"][1][0]] = plain_text(node["c"][2])
    for page in pages:
        for node in _nodes(page.blocks):
            if node["t"] != "Link" or not node["c"][2][0].startswith("#"):
                continue
            label = node["c"][2][0][1:]
            if label not in holder:
                raise DocsBuildError(f"the section {page.title!r} refers to the label {label!r}, which no page holds")
            target = holder[label]
            own_heading = target.blocks[0]["c"][1][0] == label
            node["c"][2][0] = target.file if own_heading else f"{target.file}#{label}"
            if label in headings and ["reference-type", "ref"] in node["c"][0][2]:
                node["c"][1] = _words(headings[label])  # pandoc's section number, which the site does not show


def _words(text: str) -> list[dict]:
    inlines: list[dict] = []
    for word in text.split(" "):
        inlines += [{"t": "Space"}, {"t": "Str", "c": word}] if inlines else [{"t": "Str", "c": word}]
    return inlines


def _convert_bodies(pandoc: str, api_version: list, pages: list[Page], cwd: Path) -> None:
    """Every page's HTML, from one pandoc run: the pages' blocks in a row, each after a marker that names it."""
    blocks = []
    for page in pages:
        blocks.append({"t": "RawBlock", "c": ["html", _PAGE_MARK.format(page.name)]})
        blocks.extend(page.blocks)
    document = json.dumps({"pandoc-api-version": api_version, "meta": {}, "blocks": blocks})
    # A formula pandoc cannot turn into MathML would show as raw TeX: its warning stops the build.
    command = [pandoc, "--from=json", "--to=html5", "--mathml", "--wrap=none", "--fail-if-warnings"]
    html = _run(command, cwd, PANDOC_TIMEOUT_S, "pandoc, writing the pages", document)
    parts = _PAGE_MARK_PATTERN.split(html)
    bodies = dict(zip(parts[1::2], parts[2::2]))
    for page in pages:
        page.body = bodies[page.name].strip() + "\n"


# --------------------------------------------------------------------------- the site


def _write_site(pages: list[Page], site: Path) -> None:
    templates = environment()
    page_template = templates.get_template("site/page.html.jinja")
    links = [Link(page.file, page.title) for page in pages]
    for number, page in enumerate(pages):
        up = Link(page.parent.file, page.parent.title) if page.parent is not None else None
        model = PageModel(
            TITLE,
            page.title,
            page.body,
            up,
            links[number - 1] if number > 0 else None,
            links[number + 1] if number + 1 < len(pages) else None,
            GENERATOR,
        )
        (site / page.file).write_text(page_template.render(model=model), encoding="utf-8")
    entries = []
    for page in pages:
        if page.parent is None:
            entries.append(Entry(Link(page.file, page.title), ()))
        else:
            entries[-1] = Entry(entries[-1].link, (*entries[-1].children, Link(page.file, page.title)))
    index = IndexModel(TITLE, SUBJECT, __version__, tuple(entries), GENERATOR)
    (site / "index.html").write_text(templates.get_template("site/index.html.jinja").render(model=index), "utf-8")
    shutil.copyfile(TEMPLATES / "site" / "style.css", site / "style.css")


def _is_site(folder: Path) -> bool:
    index = folder / "index.html"
    return index.is_file() and f'<meta name="generator" content="{GENERATOR}">' in index.read_text(errors="replace")


def _check_replaceable(site: Path) -> None:
    if site.exists() and not (site.is_dir() and (_is_site(site) or not any(site.iterdir()))):
        raise DocsBuildError(f"{site} exists and is not a site `trainspec docs --html` wrote; choose another folder")


def _replace(site: Path, built: Path) -> None:
    """Put the finished site at ``site``: the old one goes only once the new one is beside it."""
    site.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{site.name}-", dir=site.parent))
    try:
        shutil.copytree(built, staged / "site")
        if site.exists():
            site.rename(staged / "old")
        (staged / "site").rename(site)
    finally:
        shutil.rmtree(staged)
