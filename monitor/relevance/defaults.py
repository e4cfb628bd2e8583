"""The default section profiles, as data in the shape of a profiles YAML file.

Eleven sections, matching the Kinship policy tracker (``../shared/seeds/``): each has the
tracker's own title, other names it has gone by (2024-25 section pages), weighted terms and
phrases (a phrase names a policy; a single word only hints at one, so phrases weigh more),
negative terms, and ``asks``: what the tracker calls for in that section, which is what makes
a status suggestion possible when a bill carrying it gets Royal Assent.

``anchors`` are the words that put kinship care "in play"; ``topics`` are the hard negatives
(foster-only, adoption-only, carer's leave / Carer's Allowance, council procedure manuals);
``scopes`` are the other countries whose schemes the tracker does not follow.

Edit a copy as YAML and load it with :func:`monitor.relevance.load_profiles` (docs/relevance.md).
"""

from __future__ import annotations

from typing import Any

# fmt: off
SECTIONS: dict[str, dict[str, Any]] = {
    "recognising-kinship-care": {
        "title": "Recognising kinship care",
        "aliases": ["Building a new kinship care system", "Recognizing kinship care"],
        "terms": {
            "recognising kinship care": 3, "recognition of kinship care": 3,
            "value of kinship care": 2, "kinship care week": 2.5,
            "building a new kinship care system": 3, "kinship care system": 2,
            "unlocking the potential of family networks": 2.5,
            "independent review of childrens social care": 1.5,
            "childrens social care reform": 1.5, "reform of childrens social care": 1.5,
            "stable homes, built on love": 1.2,
            "keeping children safe, helping families thrive": 1.5,
            "kinship carers reference group": 2, "minister for children": 0.8,
            "childrens social care": 0.6, "recognise": 0.5, "recognition": 0.6,
        },
        "asks": ["recognition of kinship care"],
    },
    "national-strategy": {
        "title": "A national kinship care strategy",
        "aliases": ["National kinship care strategy", "Kinship care strategy"],
        "terms": {
            "national kinship care strategy": 4, "kinship care strategy": 3.5,
            "championing kinship care": 4, "kinship strategy": 3, "national strategy": 1.5,
            "strategy": 0.6, "phase one reforms": 1.5, "phase two": 1,
        },
        "umbrella": True,
        "asks": ["national kinship care strategy"],
    },
    "defining-kinship-care": {
        "title": "Defining kinship care",
        "aliases": [],
        "terms": {
            "definition of kinship care": 4, "kinship care definition": 4,
            "working definition": 3, "define kinship care": 3, "defining kinship care": 3,
            "legal definition": 1.5, "any situation in which a child is being raised": 3,
            "has the meaning given": 1.5, "kinship carer means": 3, "means a person who": 1,
            "close family member": 1.5, "friend or family member": 1.2,
            "legal orders and statuses": 2.5, "defined as": 1.5, "definition": 1.5,
            "defines": 2, "is defined": 2, "meaning of": 1.5, "relative or friend": 1.5,
        },
        "asks": ["definition of kinship care"],
    },
    "data": {
        "title": "Data",
        "aliases": ["Data and research"],
        "terms": {
            "office for national statistics": 2.5, "census 2021": 2.5, "census": 1.5,
            "official statistics": 2, "national statistics": 1.5, "statistics": 1.2,
            "statistical release": 2, "data release": 2, "dataset": 1.8,
            "national kinship care dataset": 4, "data collection": 2, "collect data": 2,
            "data": 0.8,
            "childrens social care dashboard": 3, "dashboard": 1.5, "dashboard indicators": 2.5,
            "children looked after in england": 2, "number of children": 1,
            "analysis of kinship households": 3, "kinship households": 2, "estimate": 0.8,
            "survey": 0.6, "per cent": 0.3, "ons": 2.5, "estimates": 1,
            "population": 0.8, "official figures": 1.5,
        },
        "counts": 1.2,
        "publishers": ["Office for National Statistics", "ons.gov.uk",
                       "explore-education-statistics.service.gov.uk"],
        "asks": ["data on kinship care"],
    },
    "early-arrangements": {
        "title": "Prioritising and supporting early kinship arrangements",
        "aliases": ["Engaging and supporting family networks",
                    "Prioritising and supporting earlier kinship arrangements"],
        "terms": {
            "family group decision making": 4, "fgdm": 3.5, "family group conference": 3,
            "families first for children": 4, "families first for children pathfinder": 4,
            "family network pilot": 4, "family network support package": 4,
            "family network plan": 3, "family networks": 1.5, "family network": 1.5,
            "early kinship arrangements": 4, "family help": 1.5, "pre proceedings": 1.2,
            "before care proceedings": 1.8, "family led": 1.5, "wider family": 1.2,
            "pathfinder": 1.2, "pilot": 0.6,
        },
        "asks": ["family group decision making", "family network support package"],
    },
    "financial-allowances": {
        "title": "Financial allowances",
        "aliases": [],
        "terms": {
            "financial allowance": 4, "kinship allowance": 4, "kinship financial allowance": 4,
            "kinship care allowance": 4,
            "allowance pilot": 3, "allowances pathfinder": 3, "allowance pathfinder": 3,
            "kinship zone": 4, "special guardianship allowance": 3.5, "weekly allowance": 2.5,
            "financial support": 2, "national minimum allowance": 1.5,
            "fostering allowance": 1.2, "allowance": 1, "allowances": 1,
            "non means tested": 1.5, "means tested": 1, "qualifying care relief": 2,
            "free childcare": 1.5, "childcare": 1, "universal credit": 2, "child benefit": 2,
            "child element": 2, "two child limit": 2.5, "benefits": 0.8, "guardians allowance": 3,
            "payment": 1.5, "payments": 1.5, "one off payment": 2.5, "grant": 1,
            "autumn budget": 1, "spring budget": 1,
            "autumn statement": 1, "spending review": 1, "cost of living": 0.8,
        },
        "negative": {"foster carers only": 2},
        "asks": ["financial allowance for all kinship carers", "kinship allowance"],
    },
    "kinship-care-leave": {
        "title": "Kinship care leave",
        "aliases": [],
        "terms": {
            "kinship care leave": 4, "kinship leave": 4, "leave and pay": 3,
            "paid leave": 2.5, "statutory leave": 2.5, "right to leave": 2.5,
            "kinship friendly employer": 4, "kinship carers in the workplace": 4,
            "workplace": 1.8, "employer": 1.2, "employers": 1.2, "employment rights": 1.8,
            "employment": 1, "flexible working": 1.8, "adoption leave": 2,
            "parental leave": 1.2, "time off": 1.2, "leave": 0.8, "in work": 0.6,
            "carers leave": 2, "entitlement": 1,
        },
        "asks": ["paid kinship care leave", "kinship leave"],
    },
    "training-and-support": {
        "title": "Training and support for kinship carers",
        "aliases": ["Training and support"],
        "terms": {
            "training and support": 3, "training and support programme": 4,
            "peer support": 3, "peer support groups": 3.5, "support groups": 2,
            "training": 1.8, "information and advice": 2, "advice service": 2,
            "kinship compass": 4, "kinship connected": 4, "helpline": 1.5,
            "training offer": 3, "support offer": 1.2, "national offer": 1.5,
            "preparation": 1, "tender": 1, "contract": 0.8,
        },
        "asks": ["training and support for all kinship carers"],
    },
    "legal-aid": {
        "title": "Access to legal aid",
        "aliases": ["Family justice and legal aid", "Legal aid"],
        "terms": {
            "legal aid": 4, "legal aid agency": 4, "legal advice": 2.5,
            "legal representation": 2.5, "legal costs": 2.5, "family justice": 2.5,
            "private family law": 2.5, "private law": 1.8, "public law": 1.2,
            "family court": 2, "family courts": 2, "court proceedings": 1.2,
            "legal order": 2.5, "ministry of justice": 2,
            "means test": 1, "litigation": 1.2, "law commission": 4, "legal framework": 2.5,
            "legislative framework": 2.5, "law reform": 2.5, "reform of the law": 2.5,
            "parental responsibility": 1.5, "court order": 1.5,
        },
        "publishers": ["Law Commission", "lawcom.gov.uk", "Legal Aid Agency",
                       "Ministry of Justice", "Family Justice Council", "Cafcass",
                       "cafcass.gov.uk", "judiciary.uk", "HM Courts and Tribunals Service"],
        "asks": ["legal aid for kinship carers"],
    },
    "support-for-children": {
        "title": "Support for children in kinship care",
        "aliases": ["Support for kinship children", "Therapeutic support for kinship families"],
        "terms": {
            "virtual school head": 4, "virtual school": 3.5, "pupil premium plus": 4,
            "pupil premium": 2.5, "designated teacher": 3, "school admissions": 2.5,
            "admissions code": 2.5, "fair access protocol": 2, "education": 1.2,
            "educational": 1.2, "attainment": 1.5, "attendance": 1, "school": 0.8,
            "adoption and special guardianship support fund": 4, "asgsf": 4,
            "adoption support fund": 3, "fair access limit": 3, "therapeutic support": 2.5,
            "therapeutic": 1.5, "therapy": 1.5, "mental health": 1.8, "wellbeing": 0.8,
            "childrens commissioner": 1.5, "whole family": 1, "life story": 1,
        },
        "asks": ["virtual school head support for children in kinship care",
                 "pupil premium plus for children in kinship care"],
    },
    "local-authority-practice": {
        "title": "Improving local authority practice",
        "aliases": ["Local authority practice"],
        "terms": {
            "kinship local offer": 4, "local offer": 2.5, "statutory guidance": 2.5,
            "family and friends care policy": 3, "family and friends care statutory guidance": 3,
            "national kinship care ambassador": 4, "kinship care ambassador": 4,
            "ofsted": 3, "inspection": 1.5, "inspecting local authority childrens services": 3,
            "ilacs": 3, "national framework": 2.5, "childrens social care national framework": 3,
            "practice guide": 2.5, "social workers": 1.2, "social worker": 1.2,
            "social work": 1.2, "workforce": 1.2, "early career framework": 2.5,
            "kinship team": 2.5, "specialist kinship teams": 3, "viability assessment": 2,
            "working together to safeguard children": 1.8, "national minimum standards": 1.2,
            "local authorities": 0.6, "local authority": 0.6, "duty": 0.6,
        },
        "publishers": ["Ofsted", "ofsted.gov.uk", "Social Work England",
                       "socialworkengland.org.uk"],
        "asks": ["kinship local offer"],
    },
}

#: Words that put kinship care in play: without one of these in the change, its context or the
#: page's own title, nothing is relevant (unless the source is configured for a section).
ANCHORS: list[str] = [
    "kinship", "special guardian", "special guardians", "special guardianship", "sgo", "sgos",
    "family and friends care", "family and friends carer", "friends and family care",
    "friends and family carer", "connected person", "connected persons",
    "family group decision making", "family group conference", "family network",
    "family networks", "child arrangements order", "lives with order", "kin carer",
    "grandparent carer", "grandparents raising grandchildren", "relative carer",
    # programmes the tracker follows by name (the sections' own definitions): a publication of
    # one is news for the tracker even where its title does not say "kinship"
    "childrens social care national framework", "national framework for childrens social care",
    "families first for children",
]

#: Hard negatives: a change about one of these, with kinship not in play, is not relevant.
TOPICS: dict[str, dict[str, Any]] = {
    "foster-only": {
        "label": "foster care only",
        "terms": ["foster carer", "foster carers", "foster care", "fostering", "foster parent",
                  "foster parents", "fostering services", "fostering allowance",
                  "foster placements"],
        "unless": "anchor",
    },
    "adoption-only": {
        "label": "adoption only",
        "terms": ["adoption", "adopter", "adopters", "adoptive", "adopted", "adopt",
                  "regional adoption agency", "adoption agencies", "intercountry adoption"],
        "unless": "anchor",
    },
    "carers-leave": {
        "label": "carer's leave or Carer's Allowance (not kinship care leave)",
        "terms": ["carers leave", "carers leave act", "carers allowance", "carers credit",
                  "carer element", "unpaid carers", "carers uk", "carers week"],
        "unless": "kinship",
    },
    "procedure-manual": {
        # Councils' children's services procedures manuals (tri.x, proceduresonline and the
        # like): looked for on the whole page, by host, by wording, and by the labels these
        # manuals put on every chapter ("RELEVANT CHAPTER", "AMENDMENT", ...).
        "label": "a council's internal procedure manual",
        "terms": ["procedures manual", "procedure manual", "practice manual",
                  "childrens services procedures", "childrens social care procedures",
                  "this chapter was added", "this chapter has been added",
                  "this chapter was updated", "this chapter has been updated",
                  "this chapter was refreshed", "this chapter has been refreshed",
                  "this chapter was amended", "this chapter has been amended",
                  "this chapter was reviewed", "this chapter has been reviewed",
                  "this chapter was revised", "this chapter has been revised",
                  "this chapter was rewritten", "this chapter has been rewritten",
                  "this procedure was updated", "this procedure has been updated"],
        "hosts": ["proceduresonline.com", "trixonline.co.uk", "trixcms.com",
                  "procedures.co.uk", "procedures.org.uk"],
        "markers": ["relevant chapter", "relevant chapters", "relevant guidance",
                    "relevant information", "related chapters", "related guidance",
                    "amendment", "amendments", "scope of this chapter", "caution"],
        "page": True,
        "unless": "never",
    },
}

#: Places whose own kinship schemes the tracker does not follow (it covers England).
SCOPES: dict[str, dict[str, Any]] = {
    "scotland": {
        "label": "Scotland",
        "terms": ["scotland", "scottish", "holyrood", "kinship care assistance",
                  "kinship care order", "childrens hearing", "getting it right for every child"],
        "hosts": ["gov.scot", "parliament.scot", "mygov.scot"],
    },
    "wales": {
        "label": "Wales",
        "terms": ["wales", "welsh", "senedd", "cymru", "foster wales"],
        "hosts": ["gov.wales", "senedd.wales", "llyw.cymru"],
    },
    "northern-ireland": {
        "label": "Northern Ireland",
        "terms": ["northern ireland", "hsc trust", "hsc trusts", "stormont",
                  "children (northern ireland) order"],
        "hosts": ["health-ni.gov.uk", "niassembly.gov.uk", "nidirect.gov.uk"],
    },
    "abroad": {
        "label": "another country",
        "terms": ["united states", "new jersey", "illinois", "nevada", "georgia division",
                  "title iv e", "kinship navigator", "kinship legal guardianship",
                  "guardianship assistance program", "kingap", "dcfs", "australia",
                  "new zealand", "canada", "ireland tusla", "state legislature"],
        "hosts": [".gov/", ".us/", "childwelfare.gov", "legiscan.com", "gov.au", "govt.nz",
                  ".ca/"],
    },
}

#: Words that say a text is about England (England and Wales counts as England).
ENGLAND: list[str] = [
    "england", "english", "department for education", "dfe", "uk government",
    "house of commons", "house of lords", "westminster", "ofsted", "england and wales",
    "secretary of state for education",
]

DEFAULT_PROFILES: dict[str, Any] = {
    "sections": SECTIONS,
    "anchors": ANCHORS,
    "topics": TOPICS,
    "scopes": SCOPES,
    "england": ENGLAND,
}
# fmt: on
