"""GOV.UK-like pages for the check-cycle benchmark, built from real recorded paragraphs.

Each page is a full GOV.UK-style layout (skip link, cookie banner, super-navigation header with
menus, breadcrumbs, inline SVG crown, JSON-LD, feedback form, related links, footer) around a
govspeak body of ~40 real paragraphs drawn from the recorded GOV.UK pages in tests/fixtures.
Pages are deterministic in (index, real_version, noise_version):

* a *real* change edits the main content (a paragraph reworded and one added);
* a *noise* change touches only things outside the main content (cookie-banner wording, a
  script nonce, the order of "Popular on GOV.UK" links, a recruitment banner).
"""

from __future__ import annotations

import html
import random
from functools import lru_cache
from pathlib import Path

import lxml.html

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "gitgovuk"
TOPICS = [
    "Benefits",
    "Births, death, marriages and care",
    "Business and self-employed",
    "Childcare and parenting",
    "Citizenship and living in the UK",
    "Crime, justice and the law",
    "Disabled people",
    "Driving and transport",
    "Education and learning",
    "Employing people",
    "Environment and countryside",
    "Housing and local services",
    "Money and tax",
    "Passports, travel and living abroad",
    "Visas and immigration",
    "Working, jobs and pensions",
]
DEPARTMENTS = [
    "Department for Education",
    "Ofsted",
    "Department for Work and Pensions",
    "HM Treasury",
    "Ministry of Justice",
    "Department of Health and Social Care",
]


@lru_cache(maxsize=1)
def paragraphs() -> tuple[str, ...]:
    """Distinct real paragraphs (over 60 characters) from the recorded GOV.UK pages."""
    found: dict[str, None] = {}
    for path in sorted(FIXTURES.glob("*/*/*.html")):
        for element in lxml.html.fromstring(path.read_text("utf-8")).iter("p", "li"):
            text = " ".join(element.text_content().split())
            if len(text) > 60:
                found[text] = None
    return tuple(found)


def _links(prefix: str, names: list[str]) -> str:
    return "".join(
        f'<li class="govuk-footer__list-item"><a class="govuk-footer__link" '
        f'href="/browse/{prefix}/{i}" data-ga4-link=\'{{"event_name":"navigation","index":{i}}}\'>'
        f"{html.escape(name)}</a></li>"
        for i, name in enumerate(names)
    )


CROWN_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" focusable="false" role="img" viewBox="0 0 324 60" '
    'height="30" width="162" fill="currentcolor" class="govuk-header__logotype">'
    "<title>GOV.UK</title><g>"
    + "".join(
        f'<circle cx="{20 + i * 7}" cy="{17 + (i % 5)}" r="{4 + i % 3}"></circle>'
        f'<path d="M{i}.{i},{i + 3}.{i}c-{i % 7}.{i % 4},{i % 9}.{i % 3}'
        f'-{i % 5}.{i % 8},{i % 6}.{i}"></path>'
        for i in range(60)
    )
    + "</g></svg>"
)


def _header(noise: int) -> str:
    cookie = [
        "We use some essential cookies to make this website work.",
        "We use essential cookies to make GOV.UK work.",
    ][noise % 2]
    menu = _links("topics", TOPICS * 3)
    return f"""
<a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>
<div id="global-cookie-message" class="gem-c-cookie-banner govuk-clearfix" data-module="cookie-banner"
 role="region" aria-label="Cookies on GOV.UK" data-nosnippet>
<div class="govuk-cookie-banner" role="region" aria-label="Cookies on GOV.UK">
<h2 class="govuk-cookie-banner__heading govuk-heading-m">Cookies on GOV.UK</h2>
<div class="govuk-cookie-banner__content"><p class="govuk-body">{cookie}</p>
<p class="govuk-body">We'd like to set additional cookies to understand how you use GOV.UK,
remember your settings and improve government services.</p>
<p class="govuk-body">We also use cookies set by other sites to help us deliver content from
their services.</p></div>
<div class="govuk-button-group"><button class="govuk-button" type="submit" data-accept-cookies="true"
 data-cookie-types="all">Accept additional cookies</button><button class="govuk-button"
 type="submit" data-reject-cookies="true">Reject additional cookies</button>
<a class="govuk-link" href="/help/cookies">View cookies</a></div></div></div>
<header role="banner" class="gem-c-layout-super-navigation-header" data-module="super-navigation-mega-menu">
<div class="gem-c-layout-super-navigation-header__container govuk-width-container">
<a href="/" class="govuk-header__link govuk-header__link--homepage">{CROWN_SVG}</a>
<nav aria-labelledby="super-navigation-menu-heading" class="gem-c-layout-super-navigation-header__content">
<h2 id="super-navigation-menu-heading" class="govuk-visually-hidden">Navigation menu</h2>
<div id="super-navigation-menu" hidden><ul class="govuk-list">{menu}</ul>
<form class="gem-c-search" action="/search/all" method="get" role="search">
<label for="search-main" class="govuk-label">Search GOV.UK</label>
<input type="search" name="keywords" id="search-main" class="gem-c-search__input">
<button class="gem-c-search__submit" type="submit">Search</button></form></div></nav></div></header>
"""


def _main(index: int, real: int) -> str:
    rng = random.Random(index)
    pool = paragraphs()
    chosen = [pool[rng.randrange(len(pool))] for _ in range(40)]
    department = DEPARTMENTS[index % len(DEPARTMENTS)]
    title = f"Kinship care guidance note {index}: {chosen[0][:50]}"
    body = []
    for number, text in enumerate(chosen):
        if number % 8 == 0:
            body.append(
                f'<h2 id="section-{number}">Section {number // 8 + 1}: {html.escape(text[:40])}</h2>'
            )
        if real and number == 5:
            text = f"Updated in revision {real}: " + text.replace(" the ", " this ", 2)
        body.append(f"<p>{html.escape(text)}</p>")
    if real:
        body.append(f"<p>Revision {real} adds guidance on kinship allowances for page {index}.</p>")
    return f"""
<main class="govuk-main-wrapper" id="content" role="main" lang="en">
<div class="gem-c-title govuk-!-margin-top-8"><span class="gem-c-title__context">Guidance</span>
<h1 class="gem-c-title__text govuk-heading-l">{html.escape(title)}</h1></div>
<div class="gem-c-metadata" data-module="gem-toggle"><dl><dt class="gem-c-metadata__term">From:</dt>
<dd class="gem-c-metadata__definition"><a href="/government/organisations/x" class="govuk-link">{department}</a></dd>
<dt class="gem-c-metadata__term">Published</dt><dd class="gem-c-metadata__definition">{1 + index % 28} March 2024</dd></dl></div>
<div class="gem-c-contents-list" role="navigation"><ol class="gem-c-contents-list__list">
{"".join(f'<li><a href="#section-{n}">Section {n // 8 + 1}</a></li>' for n in range(0, 40, 8))}</ol></div>
<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
<div class="gem-c-govspeak govuk-govspeak" data-module="govspeak"><div class="govspeak">
<p>Reference PM-{index:06d}. This page is published by the {department}.</p>
{"".join(body)}</div></div></div></div>
<div class="gem-c-print-link govuk-!-display-none-print"><button class="govuk-link">Print this page</button></div>
<div class="gem-c-feedback govuk-!-display-none-print" data-module="feedback">
<div class="gem-c-feedback__prompt"><h2 class="gem-c-feedback__prompt-question">Is this page useful?</h2>
<button class="govuk-button">Yes</button><button class="govuk-button">No</button>
<button class="govuk-button">Report a problem with this page</button></div>
<form action="/contact/govuk/problem_reports" method="post" class="gem-c-feedback__form" hidden>
<input type="hidden" name="url" value="https://www.gov.uk/guidance/page-{index}">
<h3 class="gem-c-feedback__form-heading">Help us improve GOV.UK</h3>
<textarea name="what_doing" class="govuk-textarea"></textarea></form></div>
</main>"""


def _sidebar(index: int, noise: int) -> str:
    names = [f"Related guidance {(index + n) % 97}" for n in range(12)]
    random.Random(noise).shuffle(names)
    banner = (
        '<div class="gem-c-global-banner"><p>Take part in user research (opens in new tab)</p></div>'
        if noise % 3 == 1
        else ""
    )
    return f"""{banner}
<div class="gem-c-related-navigation"><h2 class="gem-c-related-navigation__main-heading">Related content</h2>
<nav role="navigation"><ul class="gem-c-related-navigation__link-list">{_links("related", names)}</ul></nav></div>"""


def _footer(noise: int) -> str:
    popular = TOPICS[:]
    random.Random(noise + 7).shuffle(popular)
    return f"""
<footer class="gem-c-layout-footer govuk-footer" role="contentinfo">
<div class="govuk-width-container"><div class="govuk-footer__navigation">
<div class="govuk-footer__section"><h2 class="govuk-footer__heading">Popular on GOV.UK</h2>
<ul class="govuk-footer__list">{_links("popular", popular)}</ul></div>
<div class="govuk-footer__section"><h2 class="govuk-footer__heading">Services and information</h2>
<ul class="govuk-footer__list govuk-footer__list--columns-2">{_links("services", TOPICS * 2)}</ul></div>
<div class="govuk-footer__section"><h2 class="govuk-footer__heading">Government activity</h2>
<ul class="govuk-footer__list">{_links("activity", DEPARTMENTS * 3)}</ul></div></div>
<p class="govuk-footer__licence-description">All content is available under the
<a class="govuk-footer__link" href="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
 rel="license">Open Government Licence v3.0</a>, except where otherwise stated</p>
<a class="govuk-footer__link govuk-footer__copyright-logo" href="https://www.nationalarchives.gov.uk/">© Crown copyright</a>
</div></footer>"""


def _head(index: int, noise: int) -> str:
    ld = ",".join(
        f'{{"@type":"ListItem","position":{n},"item":{{"name":"{html.escape(t)}","@id":"https://www.gov.uk/browse/{n}"}}}}'
        for n, t in enumerate(TOPICS)
    )
    styles = "".join(
        f'<link rel="stylesheet" href="/assets/static/application-{n}-{index % 3}.css">'
        for n in range(6)
    )
    return f"""<head><meta charset="utf-8"><title>Kinship care guidance note {index} - GOV.UK</title>
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="govuk:content-id" content="00000000-0000-0000-0000-{index:012d}">{styles}
<script nonce="n{noise:08d}{index:06d}" type="module" src="/assets/static/application.js"></script>
<script type="application/ld+json">{{"@context":"http://schema.org","@type":"BreadcrumbList","itemListElement":[{ld}]}}</script>
<script nonce="n{noise:08d}" type="application/ld+json">{{"@context":"http://schema.org","@type":"Article","mainEntityOfPage":{{"@type":"WebPage","@id":"https://www.gov.uk/guidance/page-{index}"}},"headline":"Guidance note {index}","publisher":{{"@type":"Organization","name":"GOV.UK","url":"https://www.gov.uk"}}}}</script>
</head>"""


def page(index: int, real: int = 0, noise: int = 0) -> bytes:
    """The page body for ``index`` at content revision ``real`` and chrome revision ``noise``."""
    breadcrumbs = (
        '<div class="gem-c-contextual-breadcrumbs"><nav class="govuk-breadcrumbs" aria-label="Breadcrumb">'
        '<ol class="govuk-breadcrumbs__list"><li><a href="/">Home</a></li>'
        '<li><a href="/childcare-parenting">Parenting, childcare and children\'s services</a></li>'
        "</ol></nav></div>"
    )
    document = (
        f'<!DOCTYPE html><html lang="en" class="govuk-template">{_head(index, noise)}'
        f'<body class="govuk-template__body gem-c-layout-for-public">{_header(noise)}'
        f'<div class="govuk-width-container">{breadcrumbs}{_main(index, real)}{_sidebar(index, noise)}'
        f"</div>{_footer(noise)}</body></html>"
    )
    return document.encode("utf-8")
