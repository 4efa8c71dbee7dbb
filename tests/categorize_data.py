"""A synthetic categorised history with the noise real statements carry (pure, seeded).

Used by the categorisation tests and ``benchmarks/categorize.py``. About 25
categories, 6 merchants each that the user knows (150) plus 4 each the user
never categorised; each merchant has one processor prefix (``SQ *``,
``TST*``, ``POS``, ``PAYPAL *`` or none) and a few locations; each row gets
a store number, sometimes a date or reference, and a third of them are cut
at the width a bank's column allows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

# category -> (amount range in dollars, words real merchants of it carry, brand names without such words)
CATEGORIES: dict[str, tuple[tuple[int, int], tuple[str, ...], tuple[str, ...]]] = {
    "coffee": ((3, 9), ("COFFEE", "CAFE", "ESPRESSO", "ROASTERS"), ("STARBUCKS", "PEETS", "DUNKIN", "PHILZ")),
    "groceries": ((15, 180), ("MARKET", "GROCERY", "FOODS", "SUPERMARKET"), ("SAFEWAY", "KROGER", "ALDI", "PUBLIX")),
    "dining": ((18, 120), ("RESTAURANT", "GRILL", "BISTRO", "KITCHEN"), ("CHIPOTLE", "NOBU", "OLIVE GARDEN", "SHAKE SHACK")),
    "fast-food": ((5, 20), ("BURGER", "PIZZA", "TACOS", "FRIED CHICKEN"), ("MCDONALDS", "WENDYS", "SUBWAY", "POPEYES")),
    "fuel": ((25, 90), ("GAS", "FUEL", "PETROLEUM", "SERVICE STATION"), ("SHELL OIL", "CHEVRON", "EXXONMOBIL", "VALERO")),
    "rideshare": ((8, 60), ("TAXI", "CAB", "LIMO", "RIDES"), ("UBER TRIP", "LYFT RIDE", "CURB", "VIA TRANSPORT")),
    "transit": ((2, 50), ("TRANSIT", "METRO", "RAIL", "BUS"), ("BART", "CLIPPER", "MTA", "CALTRAIN")),
    "parking": ((3, 40), ("PARKING", "GARAGE", "PARK", "VALET"), ("SPOTHERO", "PARKMOBILE", "ABM", "LAZ")),
    "pharmacy": ((6, 80), ("PHARMACY", "DRUG", "RX", "APOTHECARY"), ("WALGREENS", "CVS", "RITE AID", "DUANE READE")),
    "healthcare": ((40, 400), ("MEDICAL", "CLINIC", "DENTAL", "HEALTH"), ("KAISER", "ONE MEDICAL", "LABCORP", "QUEST")),
    "fitness": ((20, 150), ("FITNESS", "GYM", "YOGA", "CLIMBING"), ("EQUINOX", "PELOTON", "ORANGETHEORY", "CRUNCH")),
    "streaming": ((7, 25), ("STREAMING", "MUSIC", "VIDEO", "TV"), ("NETFLIX", "SPOTIFY", "HULU", "DISNEY PLUS")),
    "software": ((3, 60), ("SOFTWARE", "CLOUD", "APPS", "DIGITAL"), ("GITHUB", "DROPBOX", "ADOBE", "NOTION")),
    "utilities": ((40, 250), ("ELECTRIC", "WATER", "POWER", "ENERGY"), ("PG&E", "CON EDISON", "DUKE", "PSEG")),
    "phone-internet": ((30, 120), ("WIRELESS", "MOBILE", "INTERNET", "TELECOM"), ("VERIZON", "COMCAST", "T-MOBILE", "AT&T")),
    "rent": ((1200, 3200), ("PROPERTIES", "APARTMENTS", "REALTY", "HOUSING"), ("GREYSTAR", "AVALONBAY", "EQUITY RES", "ESSEX")),
    "insurance": ((60, 300), ("INSURANCE", "ASSURANCE", "MUTUAL", "INDEMNITY"), ("GEICO", "STATE FARM", "ALLSTATE", "PROGRESSIVE")),
    "clothing": ((20, 200), ("APPAREL", "CLOTHING", "OUTFITTERS", "BOUTIQUE"), ("UNIQLO", "ZARA", "H&M", "NORDSTROM")),
    "electronics": ((30, 1500), ("ELECTRONICS", "COMPUTERS", "CAMERA", "AUDIO"), ("BEST BUY", "APPLE STORE", "MICRO CENTER", "B&H PHOTO")),
    "home": ((15, 400), ("HARDWARE", "HOME", "FURNITURE", "GARDEN"), ("HOME DEPOT", "IKEA", "LOWES", "WAYFAIR")),
    "books": ((8, 60), ("BOOKS", "BOOKSTORE", "COMICS", "PRESS"), ("BARNES NOBLE", "POWELLS", "AUDIBLE", "KINDLE")),
    "travel": ((90, 900), ("AIRLINES", "HOTEL", "AIRWAYS", "INN"), ("DELTA AIR", "MARRIOTT", "AIRBNB", "EXPEDIA")),
    "entertainment": ((10, 120), ("CINEMA", "THEATER", "TICKETS", "BOWLING"), ("AMC", "TICKETMASTER", "STUBHUB", "REGAL")),
    "pets": ((10, 150), ("PET", "VETERINARY", "ANIMAL", "GROOMING"), ("PETCO", "PETSMART", "CHEWY", "BANFIELD")),
    "income": ((1500, 6000), ("PAYROLL", "SALARY", "DIRECT DEP", "WAGES"), ("ACME CORP", "GUSTO", "ADP", "INITECH")),
}
NAMES = (
    "BLUE BOTTLE", "SIGHTGLASS", "RITUAL", "HARBOR", "SUMMIT", "OAKWOOD", "RIVERSIDE", "GOLDEN GATE", "MISSION",
    "PACIFIC", "CEDAR", "MAPLE", "ASPEN", "REDWOOD", "SUNSET", "BAYVIEW", "HILLTOP", "LAKESIDE", "NORTHSTAR",
    "SILVER", "COPPER", "IRON", "GRANITE", "WILLOW", "BIRCH", "HAWTHORNE", "JUNIPER", "MARINA", "PRESIDIO",
    "CASTRO", "NOE", "DOLORES", "VALENCIA", "FILLMORE", "HAYES", "DIVISADERO", "POTRERO", "BERNAL", "GLEN PARK",
    "ELM", "PINE", "SPRUCE", "LAUREL", "FOREST", "MEADOW", "CANYON", "RIDGE", "VALLEY", "PRAIRIE", "COASTAL",
    "ATLAS", "ORION", "NOVA", "APEX", "VERTEX", "ZENITH", "PIONEER", "FRONTIER", "LIBERTY", "HERITAGE",
    "CROWN", "ROYAL", "EMPIRE", "UNION", "CENTRAL", "METRO CITY", "URBAN", "VILLAGE", "TOWN", "COUNTY",
    "MARIGOLD", "POPPY", "LOTUS", "ORCHID", "IVY", "SAGE", "FERN", "MOSS", "CLOVER", "THISTLE",
)
PREFIXES = ("", "", "SQ *", "TST* ", "POS ", "PAYPAL *", "POS DEBIT ", "CHECKCARD ")
LOCATIONS = (
    "OAKLAND CA", "SAN FRANCISCO CA", "BERKELEY CA", "SEATTLE WA", "PORTLAND OR", "NEW YORK NY", "BROOKLYN NY",
    "AUSTIN TX", "SAN JOSE CA", "LOS ANGELES CA", "CHICAGO IL", "DENVER CO", "BOSTON MA", "",
)


@dataclass(frozen=True)
class Row:
    description: str
    amount: Decimal
    category: str
    merchant: str  # the true merchant (for splitting known/unseen; not what a statement holds)
    date: dt.date


@dataclass(frozen=True)
class Merchant:
    name: str
    category: str
    prefix: str
    locations: tuple[str, ...]
    weight: float


def merchants(seed: int = 7) -> tuple[list[Merchant], list[Merchant]]:
    """``(known, unseen)``: 6 merchants per category the user has, 4 they never categorised."""
    rnd = random.Random(seed)
    names = list(NAMES)
    known: list[Merchant] = []
    unseen: list[Merchant] = []
    for category, (_range, words, brands) in CATEGORIES.items():
        brand_list = list(brands)
        rnd.shuffle(brand_list)
        made = []
        for index in range(10):
            if index < 2:
                name = brand_list[index]
            elif index == 6:
                name = brand_list[2]
            else:
                name = f"{rnd.choice(names)} {rnd.choice(words)}"
            prefix = rnd.choice(PREFIXES) if category not in ("income", "rent") else ""
            locations = tuple(rnd.sample(LOCATIONS, rnd.randint(1, 3)))
            made.append(Merchant(name, category, prefix, locations, rnd.lognormvariate(0, 1)))
        known.extend(made[:6])
        unseen.extend(made[6:])
    return known, unseen


def describe(merchant: Merchant, rnd: random.Random, date: dt.date) -> str:
    """One statement description of ``merchant``: prefix, name, store number, place, maybe a date or reference."""
    parts = [merchant.prefix + merchant.name]
    if merchant.category in ("income", "rent"):
        parts.append(f"{rnd.choice(('PPD ID', 'REF', 'ID'))} {rnd.randint(10**6, 10**9)}")
    else:
        if rnd.random() < 0.7:
            parts.append(rnd.choice(("#", "", "STORE ")) + f"{rnd.randint(1, 9999):04d}")
        if rnd.random() < 0.25:
            parts.insert(0, date.strftime("%m/%d"))
        location = rnd.choice(merchant.locations)
        if location:
            parts.append(location)
        if rnd.random() < 0.15:
            parts.append(f"{rnd.randint(10**9, 10**10 - 1)}")
    text = " ".join(parts)
    if rnd.random() < 0.33:
        text = text[: rnd.randint(18, 26)]  # the bank's column width
    return text


def amount(merchant: Merchant, rnd: random.Random) -> Decimal:
    low, high = CATEGORIES[merchant.category][0]
    cents = rnd.randint(low * 100, high * 100)
    value = Decimal(cents).scaleb(-2)
    return value if merchant.category == "income" else -value


def history(n: int, *, seed: int = 7, pool: list[Merchant] | None = None) -> list[Row]:
    """``n`` categorised rows over the known merchants (log-normal frequencies: a few daily, many rare), oldest first."""
    rnd = random.Random(seed * 1009 + n)
    chosen = pool if pool is not None else merchants(seed)[0]
    weights = [m.weight for m in chosen]
    start = dt.date(2024, 1, 1)
    rows = []
    for index, merchant in enumerate(rnd.choices(chosen, weights=weights, k=n)):
        date = start + dt.timedelta(days=index * 730 // max(n, 1))
        rows.append(Row(describe(merchant, rnd, date), amount(merchant, rnd), merchant.category, merchant.name, date))
    return rows


def split_known(rows: list[Row], *, test_share: float = 0.2, seed: int = 7) -> tuple[list[Row], list[Row]]:
    """``(train, test)``: a random share held out, keeping only test rows whose merchant is in train."""
    rnd = random.Random(seed)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    cut = int(len(shuffled) * (1 - test_share))
    train, test = shuffled[:cut], shuffled[cut:]
    seen = {r.merchant for r in train}
    train.sort(key=lambda r: r.date)
    return train, [r for r in test if r.merchant in seen]
