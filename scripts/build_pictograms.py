"""Build the shipped pictograms: a few hundred Font Awesome Free solid icons and their keyword table.

Run once, with fontTools installed and Font Awesome Free 6.7.2 unpacked from the npm registry:

    npm pack @fortawesome/fontawesome-free@6.7.2 && tar xzf fortawesome-fontawesome-free-6.7.2.tgz
    .venv/bin/python scripts/build_pictograms.py package

It writes tools/media/fonts/ReelforgePictograms-Solid.ttf (the chosen glyphs of webfonts/fa-solid-900.ttf,
renamed because the SIL OFL reserves the name "Font Awesome" for the original) and
tools/images/pictograms.json (icon code points and word stems with weights: our own words 3, the icon's
name and label 2, Font Awesome's search terms 1). Commit both with LICENSE-FontAwesome.txt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.images.pictograms import FONT, TABLE, stem  # noqa: E402

FAMILY = "Reelforge Pictograms"
VERSION = "6.7.2"

# The icons, each with words of our own (a "+" joins a two-word phrase). Icons that only make sense in an
# interface (arrows, toggles, file states) are left out: a card shows what a scene is about.
ICONS: dict[str, str] = {
    # Ideas, knowledge, questions
    "lightbulb": "light+bulb idea ideas insight invention invent inventor innovation tip definition basics",
    "circle-info": "information info fact facts about definition",
    "circle-question": "question questions unknown mystery debate debated puzzle",
    "question": "question questions",
    "clipboard-question": "myth myths misconception misconceptions claim claims checklist+question",
    "clipboard-list": "list checklist agenda plan steps",
    "list-check": "checklist recap summary ticks tick checked short+version",
    "list-ul": "list items",
    "quote-left": "quote quotation said says saying motto",
    "comments": "conversation discussion debate debated disagree disagreement dialogue speech+bubbles",
    "comment": "comment speech+bubble talk says",
    "magnifying-glass": "search research investigate explore exploring study find look examine evidence",
    "book-open": "book books learn learning reading read story stories chapter source sources",
    "book": "book books novel author literature library",
    "book-open-reader": "reader reading readers literacy",
    "book-atlas": "atlas geography",
    "book-bible": "bible christian christianity scripture gospel",
    "book-quran": "quran koran islamic",
    "scroll": "history historical ancient manuscript document decree charter legend tradition records",
    "landmark": "history heritage government institution museum classical court",
    "file-lines": "document documents paper papers report records file",
    "newspaper": "news newspaper press journalism headline headlines media article",
    "graduation-cap": "graduate graduation university college degree academic student students",
    "school": "school schools education pupils classroom",
    "chalkboard-user": "teacher teaching lesson lecture class",
    "pen-nib": "writing writer write poet poetry essay author",
    "feather-pointed": "quill poet poetry",
    "language": "language languages translation translate word words vocabulary dialect linguistic",
    "puzzle-piece": "puzzle solve solution piece pieces component parts",
    "brain": "brain mind thinking think memory psychology intelligence neuroscience cognitive",
    "compass": "direction explore exploration navigation orientation guide",
    "timeline": "timeline chronology history+timeline sequence eras periods turning+points milestones",
    "hourglass-half": "duration waiting long+time hourglass",
    "clock": "clock hour hours minute minutes time punctual schedule",
    "stopwatch": "seconds speed race record fast quick",
    "calendar-days": "calendar date dates annual anniversary schedule",
    "gears": "mechanism mechanics machine machinery engineering works process system gears",
    "gear": "settings mechanism cog",
    "sitemap": "structure organisation organization hierarchy diagram",
    "diagram-project": "diagram flowchart",
    "scale-balanced": "law legal justice balance fair fairness rights court",
    "gavel": "judge trial verdict ruling court auction",
    "building-columns": (
        "government bank institution parliament senate classical roman rome greek greece colosseum acropolis"
    ),
    "flag": "flag nation national country countries independence",
    "crown": "king queen monarch monarchy royal royalty empire emperor kingdom throne crown dynasty",
    "chess-knight": "strategy tactics game",
    "chess": "chess strategy",
    "trophy": "winner win victory champion championship prize award cup record",
    "medal": "medal olympic olympics gold silver bronze honour honor",
    "award": "award prize nobel honour honor recognition",
    "ribbon": "awareness cancer campaign",
    "certificate": "certificate certified qualification standard",
    "star": "star famous fame celebrity favourite favorite best",
    "thumbs-up": "like approve approval good recommend",
    "handshake": "agreement deal treaty partnership cooperation alliance trade peace+treaty",
    "hand-holding-heart": "charity care caring kindness donation volunteer help support",
    "heart": "love heart romance romantic passion",
    "heart-pulse": "health healthy heartbeat cardio cardiac pulse",
    "people-group": "people community society group population public citizens",
    "users": "people community team members users audience population",
    "user": "person individual someone",
    "user-tie": "business businessman businesswoman manager executive boss ceo",
    "user-doctor": "doctor physician medicine medical clinician",
    "user-nurse": "nurse nursing",
    "user-graduate": "graduate alumni scholar",
    "user-astronaut": "astronaut astronauts cosmonaut spaceflight",
    "user-secret": "spy secret secrets espionage anonymous",
    "user-ninja": "ninja stealth",
    "person-running": "running runner run marathon sprint exercise athlete",
    "person-walking": "walk walking pedestrian steps",
    "person-hiking": "hiking hike trek trekking trail",
    "person-biking": "cycling cyclist bike",
    "person-swimming": "swimming swim swimmer",
    "person-skiing": "skiing ski skier",
    "person-praying": "prayer pray praying",
    "person-digging": "dig digging excavation archaeology archaeologist",
    "person-chalkboard": "presentation presenter lecture",
    "person-pregnant": "pregnancy pregnant birth",
    "person-cane": "elderly old+age ageing aging",
    "child": "child children childhood kid kids young youth",
    "children": "children kids families",
    "baby": "baby babies infant newborn birth",
    "person-military-rifle": "soldier soldiers army military troops",
    "person-shelter": "shelter refugee refugees homeless",
    "hands-praying": "faith prayer worship religion religious",
    "hand-fist": "protest revolution resistance strength solidarity power",
    "bullhorn": "announcement campaign marketing advertising protest",
    # Places, buildings, travel
    "earth-europe": "europe european continent world",
    "earth-americas": "america americas american world global planet earth",
    "earth-africa": "africa african",
    "earth-asia": "asia asian",
    "earth-oceania": "australia oceania",
    "globe": "world global globe international worldwide countries planet",
    "map": "map maps geography territory region regions old+map",
    "map-location-dot": "location place places country city town local",
    "location-dot": "location place spot pin",
    "route": "route journey path trip itinerary trail road kilometres kilometers miles distance",
    "signs-post": "direction directions crossroads choice",
    "mountain": "mountain mountains peak summit climb climbing alps himalaya everest",
    "mountain-sun": "landscape hills valley scenery nature outdoors",
    "mountain-city": "city+skyline metropolis",
    "volcano": "volcano volcanic eruption lava magma",
    "water": "water sea ocean waves river lake tide",
    "droplet": "drop droplet liquid rain water hydration",
    "bridge": "bridge bridges span suspension+bridge crossing",
    "bridge-water": "bridge river+crossing",
    "road": "road roads highway motorway street",
    "city": "city cities urban town downtown skyline",
    "building": "building buildings office skyscraper tower block",
    "house": "house home homes housing household residence",
    "house-chimney": "home cottage village",
    "igloo": "igloo arctic inuit",
    "tent": "tent camp camping",
    "campground": "campsite camping outdoors",
    "hotel": "hotel hotels tourism accommodation",
    "monument": "monument memorial obelisk",
    "archway": "arch gate gateway",
    "landmark-dome": "capitol dome parliament",
    "church": "church churches christian cathedral chapel",
    "mosque": "mosque islam muslim",
    "synagogue": "synagogue jewish judaism",
    "vihara": "buddhist temple monastery",
    "torii-gate": "shinto japan japanese shrine",
    "gopuram": "hindu temple",
    "place-of-worship": "worship temple temples",
    "star-and-crescent": "islam muslim",
    "star-of-david": "jewish judaism israel",
    "om": "hindu hinduism yoga meditation",
    "dharmachakra": "buddhism buddhist dharma",
    "yin-yang": "taoism balance harmony",
    "cross": "christianity christian cross crucifix",
    "dove": "peace dove hope spirit",
    "peace": "peace pacifism",
    "dungeon": "castle castles prison dungeon medieval fortress fort wall walls",
    "tower-observation": "tower lookout",
    "shop": "shop shops retail market",
    "store": "store stores business",
    "warehouse": "warehouse storage stock inventory",
    "industry": "industry industrial factory factories manufacturing production plant mill",
    "hospital": "hospital hospitals clinic healthcare",
    "tree-city": "park parks green+space",
    "umbrella-beach": "beach holiday vacation summer seaside",
    "suitcase": "travel trip luggage journey vacation",
    "passport": "passport border immigration visa",
    "plane": "plane aircraft airplane aeroplane flight flights aviation airline fly flying",
    "plane-departure": "departure takeoff airport",
    "helicopter": "helicopter",
    "jet-fighter": "jet fighter air+force warplane",
    "rocket": "rocket launch launched spaceflight space+program mission startup",
    "shuttle-space": "space+shuttle spacecraft",
    "satellite": "satellite orbit orbital",
    "satellite-dish": "antenna signal broadcast telescope radio+telescope",
    "ship": "ship ships shipping vessel navy fleet voyage cargo",
    "sailboat": "sail sailing boat yacht sailor",
    "anchor": "harbour harbor port anchor maritime naval",
    "ferry": "ferry",
    "train": "train trains railway railways railroad rail locomotive",
    "train-subway": "subway metro underground tube",
    "train-tram": "tram streetcar",
    "bus": "bus buses coach public+transport",
    "car": "car cars automobile vehicle vehicles driving drive driver motor",
    "taxi": "taxi cab",
    "truck": "truck lorry delivery haulage transport freight",
    "motorcycle": "motorcycle motorbike",
    "bicycle": "bicycle bike bikes cycling",
    "tractor": "tractor farm farming farmer agriculture",
    "traffic-light": "traffic junction signal",
    "gas-pump": "petrol gasoline fuel",
    "charging-station": "charging electric+car ev",
    # Nature, weather, science
    "tree": "tree trees forest forests wood woods woodland rainforest",
    "leaf": "leaf leaves plant plants green ecology environment nature organic",
    "seedling": "seed seeds sprout growth grow growing garden gardening sustainability",
    "wheat-awn": "wheat grain cereal crop crops harvest bread",
    "clover": "clover luck lucky irish",
    "feather": "feather bird birds lightweight",
    "sun": "sun sunny sunshine solar summer daylight",
    "moon": "moon lunar night night+sky astronomy astronomer telescope planet planets",
    "cloud": "cloud clouds sky",
    "cloud-rain": "rain rainfall rainy monsoon",
    "cloud-bolt": "storm thunderstorm thunder lightning",
    "cloud-sun": "weather forecast",
    "snowflake": "snow winter cold ice frozen freeze",
    "icicles": "ice glacier glaciers arctic antarctic polar",
    "temperature-high": "heat hot temperature warming heatwave climate global+warming",
    "temperature-low": "cold chill frost",
    "thermometer": "temperature fever thermometer degrees celsius fahrenheit",
    "wind": "wind windy breeze air",
    "tornado": "tornado twister",
    "hurricane": "hurricane cyclone typhoon",
    "house-flood-water": "flood flooding floods",
    "house-tsunami": "tsunami",
    "house-crack": "earthquake quake",
    "hill-rockslide": "landslide rockslide",
    "fire": "fire fires flame burning burn",
    "fire-flame-curved": "flame hot spicy",
    "smog": "smog pollution air+pollution emissions",
    "rainbow": "rainbow pride",
    "umbrella": "umbrella protection insurance",
    "atom": "atom atoms atomic physics science scientist scientists particle particles nuclear quantum",
    "flask": "chemistry chemical chemicals experiment laboratory lab",
    "flask-vial": "experiment experiments test tests",
    "vial": "sample vial",
    "microscope": "microscope biology cell cells microbiology research scientist",
    "dna": "dna gene genes genetic genetics genome evolution heredity",
    "bacteria": "bacteria microbe microbes germ germs",
    "virus": "virus viruses viral infection pandemic epidemic",
    "virus-covid": "covid coronavirus",
    "disease": "disease diseases illness sick",
    "radiation": "radiation radioactive nuclear uranium",
    "magnet": "magnet magnetic magnetism",
    "meteor": "meteor meteorite asteroid comet impact universe cosmos cosmic galaxy galaxies black+hole",
    "microchip": "chip chips semiconductor processor cpu computer computing",
    "robot": "robot robots robotics automation ai artificial+intelligence machine+learning",
    "infinity": "infinity infinite forever endless",
    "calculator": "calculation calculate mathematics maths math arithmetic",
    "ruler-combined": "measure measurement size dimensions length width height",
    "ruler-vertical": "height tall length long metre metres meter meters feet foot inches centimetres",
    "weight-scale": "weight mass heavy kilogram kilograms tonne tonnes ton tons",
    "weight-hanging": "weight heavy load",
    "gauge-high": "speed fast performance",
    "bolt": "electricity electric energy power lightning voltage",
    "plug": "plug electricity power+supply",
    "battery-full": "battery batteries charge",
    "solar-panel": "solar+panel solar+power renewable renewables",
    "oil-well": "oil petroleum drilling crude",
    "recycle": "recycle recycling waste reuse circular",
    "glass-water": "water drink drinking",
    "eye": "eye eyes vision see sight visible watch",
    "lungs": "lungs breathing breath respiratory",
    "tooth": "tooth teeth dental dentist",
    "bone": "bone bones skeleton fossil fossils",
    "skull": "skull death dead fossil",
    "x-ray": "x-ray radiology scan",
    "stethoscope": "diagnosis checkup examination medicine",
    "syringe": "vaccine vaccines vaccination injection",
    "pills": "pill pills drug drugs medicine medication pharmacy",
    "capsules": "capsule pharmaceutical",
    "bandage": "injury wound first+aid",
    "wheelchair": "disability accessibility wheelchair",
    "spa": "wellness relax relaxation spa flower flowers bloom blossom lotus petals",
    "dumbbell": "gym fitness workout training strength exercise",
    # Animals
    "cat": "cat cats kitten feline pet",
    "dog": "dog dogs puppy canine pet pets",
    "horse": "horse horses pony equestrian",
    "cow": "cow cows cattle dairy milk farm livestock",
    "fish": "fish fishes fishing seafood salmon",
    "fish-fins": "fins marine",
    "frog": "frog frogs amphibian toad",
    "hippo": "hippo hippopotamus safari wildlife",
    "kiwi-bird": "kiwi bird flightless",
    "crow": "crow raven bird birds",
    "otter": "otter otters",
    "spider": "spider spiders web",
    "bug": "bug bugs insect insects beetle",
    "mosquito": "mosquito mosquitoes malaria",
    "worm": "worm worms soil",
    "dragon": "dragon dragons myth mythology legend fantasy",
    "paw": "animal animals wildlife pets zoo wolf wolves fox bear bears lion lions tiger tigers",
    "shrimp": "shrimp prawn shellfish",
    "locust": "locust grasshopper swarm",
    "bugs": "bees bee honey honeybee honeybees beekeeping hive hives insects pollination pollinator",
    # Food and drink
    "mug-hot": "coffee tea espresso cafe caffeine hot+drink",
    "mug-saucer": "coffee cup cafe",
    "wine-glass": "wine vineyard",
    "wine-bottle": "wine bottle",
    "beer-mug-empty": "beer brewery pub ale",
    "martini-glass": "cocktail cocktails bar",
    "whiskey-glass": "whisky whiskey spirits",
    "champagne-glasses": "celebrate celebration toast party anniversary",
    "utensils": "food meal meals restaurant eat eating cuisine dining dinner lunch cooking",
    "kitchen-set": "kitchen cook cooking recipe",
    "bowl-rice": "rice asian+food",
    "bowl-food": "soup bowl",
    "pizza-slice": "pizza italian",
    "burger": "burger hamburger fast+food",
    "hotdog": "hotdog sausage",
    "bread-slice": "bread bakery toast",
    "cheese": "cheese dairy",
    "egg": "egg eggs breakfast",
    "apple-whole": "apple apples fruit fruits healthy+eating",
    "carrot": "carrot vegetable vegetables",
    "lemon": "lemon citrus",
    "pepper-hot": "chili chilli pepper spicy",
    "cookie": "cookie cookies biscuit",
    "cake-candles": "birthday cake anniversary",
    "ice-cream": "ice+cream dessert",
    "candy-cane": "christmas sweets candy",
    "drumstick-bite": "chicken meat",
    "bacon": "bacon pork",
    # Work, money, business
    "bitcoin-sign": "bitcoin crypto cryptocurrency blockchain",
    "coins": "money coins cost costs price prices pay paid revenue income currency",
    "money-bill-wave": "cash money dollars euros pounds",
    "sack-dollar": "wealth rich fortune profit profits funding budget billion+dollars",
    "piggy-bank": "savings save saving",
    "wallet": "wallet spending",
    "credit-card": "card payment payments credit",
    "vault": "bank vault gold+reserves",
    "chart-line": "growth trend trends increase rise rising economy economic market stock",
    "chart-column": "statistics data figures numbers comparison",
    "chart-pie": "share percent percentage proportion portion majority",
    "chart-simple": "chart graph",
    "percent": "percent percentage rate",
    "briefcase": "job jobs work career business employment office",
    "business-time": "working+hours deadline",
    "handshake-angle": "assistance",
    "cart-shopping": "shopping shop buy buying consumer consumers",
    "bag-shopping": "shopping retail fashion",
    "tag": "price sale discount",
    "receipt": "receipt bill invoice tax",
    "boxes-stacked": "goods products supply shipment shipments exports imports",
    "box": "box package parcel",
    "scale-unbalanced": "inequality unequal imbalance",
    "hammer": "build building tool tools construction craft",
    "screwdriver-wrench": "repair fix maintenance tools engineering",
    "toolbox": "toolbox toolkit",
    "helmet-safety": "construction worker workers safety engineer",
    "trowel-bricks": "bricks masonry construction",
    "pen-ruler": "design designer architect architecture plans blueprint",
    "compass-drafting": "drafting geometry architect",
    # Technology, media, communication
    "laptop": "laptop computer computers",
    "laptop-code": "programming code coding software developer developers",
    "code": "code html programming",
    "terminal": "terminal command+line",
    "desktop": "desktop pc screen",
    "mobile-screen": "phone smartphone smartphones mobile app apps",
    "phone": "phone telephone call",
    "wifi": "wifi wireless internet",
    "network-wired": "network networks",
    "server": "server servers data+centre cloud+computing",
    "database": "database databases data",
    "envelope": "email mail letter letters message",
    "paper-plane": "send sent message",
    "tower-broadcast": "broadcast broadcasting transmission signal",
    "radio": "radio",
    "tv": "television tv",
    "film": "film films movie movies cinema",
    "clapperboard": "director filmmaking hollywood",
    "video": "video videos",
    "camera": "photo photos photograph photography picture camera",
    "camera-retro": "vintage+camera photographer",
    "image": "image images picture pictures",
    "microphone": "microphone podcast interview speech singer",
    "headphones": "listening listen audio headphones",
    "music": "music song songs melody musician musicians",
    "guitar": "guitar rock band",
    "drum": "drum drums rhythm percussion",
    "record-vinyl": "record records vinyl album",
    "masks-theater": "theatre theater drama play acting actor actors opera",
    "palette": "art arts artist painting paintings colour colors color",
    "paintbrush": "paint painter brush",
    "brush": "brush",
    "gamepad": "video+game gaming gamer",
    "dice": "dice chance luck probability gambling",
    "futbol": "football soccer",
    "football": "american+football",
    "basketball": "basketball",
    "baseball-bat-ball": "baseball",
    "volleyball": "volleyball",
    "golf-ball-tee": "golf",
    "table-tennis-paddle-ball": "tennis ping+pong",
    "hockey-puck": "hockey ice+hockey",
    "bowling-ball": "bowling",
    "person-skating": "skating",
    # Everyday things
    "key": "key keys access secret unlock",
    "lock": "security secure locked privacy",
    "shield-halved": "protection protect defence defense security",
    "bed": "sleep sleeping bed night rest",
    "couch": "sofa living+room furniture",
    "chair": "chair seat",
    "door-open": "door entrance welcome",
    "stairs": "stairs steps",
    "shirt": "clothes clothing shirt fashion textile",
    "socks": "socks",
    "hat-cowboy": "cowboy west western",
    "glasses": "glasses spectacles",
    "ring": "ring wedding marriage engagement",
    "gem": "diamond diamonds jewel jewels gem gems precious",
    "gift": "gift gifts present presents",
    "bell": "bell alarm notification",
    "broom": "clean cleaning sweep",
    "soap": "soap hygiene washing",
    "shower": "shower bathroom",
    "toilet": "toilet sanitation",
    "faucet-drip": "tap leak",
    "trash-can": "rubbish garbage trash waste bin",
    "paperclip": "attachment",
    "scissors": "cut scissors tailor",
    "wand-magic-sparkles": "magic magical wizard spell",
    "ghost": "ghost ghosts haunted spooky halloween",
    "skull-crossbones": "poison toxic danger deadly pirate pirates",
    "bomb": "bomb bombs explosive",
    "explosion": "explosion blast",
    "gun": "gun guns weapon weapons",
    "shield": "shield defence",
    "triangle-exclamation": "warning danger risk risks caution hazard",
    "ban": "banned ban forbidden prohibited illegal",
    "fingerprint": "identity fingerprint forensic forensics",
    "id-card": "identity id+card",
    "handcuffs": "arrest arrested police crime criminal",
    "mask": "mask masks carnival",
    "hand-sparkles": "clean hands",
    "face-smile": "happy happiness smile joy",
    "face-frown": "sad sadness unhappy",
    "face-surprise": "surprise surprising surprised amazing",
    "hands-holding-child": "parent parents parenting family",
    "person-breastfeeding": "mother breastfeeding",
    "people-roof": "family families household",
    "life-ring": "rescue lifeguard",
    "fire-extinguisher": "fire+safety firefighter",
    "truck-medical": "ambulance emergency",
}

# Shapes the cards draw with (a disc behind each pictogram): in the font, but no word finds them.
SHAPES = ("circle",)

# Font Awesome's search terms are indexed too, except these, which match too much of ordinary speech.
STOP = frozenset(
    """a an and are as at be by for from in into is it its of on or the to with new old time make made
    thing things way part first last one two three good bad up down left right back front side high low
    large small big little start end line lines point points group full empty half simple alt circle
    square sign symbol feet foot black white light icon shape outline off out over under more less
    plus minus open close closed
    top bottom center centre middle level flat area base basic solid filled fill round rounded
    single double multiple many most all some other others like just only also very still
    year years day days month months week weeks""".split()
)


def _phrases(words: str) -> list[str]:
    """Our words with "+" joining the two halves of a phrase, as stems."""
    return [" ".join(stem(part) for part in word.split("+")) for word in words.split()]


def _terms(name: str, meta: dict[str, object], ours: str) -> dict[str, float]:
    """Every stem that should find this icon, with the highest weight any source gives it."""
    weights: dict[str, float] = {}

    def add(term: str, weight: float) -> None:
        if len(term) >= 2 and term not in STOP and not any(word in STOP for word in term.split()):
            weights[term] = max(weights.get(term, 0.0), weight)

    for term in _phrases(ours):
        weights[term] = 3.0
    label = str(meta.get("label", ""))
    for word in [*name.split("-"), *label.lower().split()]:
        if word.isalpha():
            add(stem(word), 2.0)
    search = meta.get("search", {})
    raw_terms = search.get("terms", []) if isinstance(search, dict) else []
    for raw in raw_terms:
        parts = str(raw).lower().replace("-", " ").split()
        if len(parts) == 1 and parts[0].isalpha():
            add(stem(parts[0]), 1.0)
        elif len(parts) == 2 and all(part.isalpha() for part in parts):
            add(" ".join(stem(part) for part in parts), 1.0)
    return weights


def main(argv: list[str]) -> int:
    """Write the subset icon font and the keyword table, and print their sizes."""
    package = Path(argv[1]) if len(argv) > 1 else Path("package")
    metadata = json.loads((package / "metadata" / "icon-families.json").read_text(encoding="utf-8"))
    wanted = ICONS
    missing = sorted(name for name in wanted if name not in metadata)
    if missing:
        print(f"not in Font Awesome {VERSION}: {', '.join(missing)}", file=sys.stderr)
        return 1
    icons = {name: str(metadata[name]["unicode"]) for name in sorted([*wanted, *SHAPES])}
    terms: dict[str, dict[str, float]] = {}
    for name in sorted(wanted):
        for term, weight in _terms(name, metadata[name], wanted[name]).items():
            terms.setdefault(term, {})[name] = weight
    table = {
        "source": f"Font Awesome Free {VERSION} solid, SIL OFL 1.1; see LICENSE-FontAwesome.txt",
        "font": FONT.name,
        "icons": icons,
        "terms": {term: sorted(pairs.items()) for term, pairs in sorted(terms.items())},
    }
    TABLE.write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    _subset(package / "webfonts" / "fa-solid-900.ttf", [int(code, 16) for code in icons.values()])
    print(f"{len(icons)} icons, {len(terms)} terms")
    for path in (TABLE, FONT):
        print(f"{path.name}: {path.stat().st_size / 1000:.0f} kB")
    return 0


def _subset(source: Path, codes: list[int]) -> None:
    """Keep only the chosen glyphs, and rename the font: the OFL reserves "Font Awesome" for the original."""
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.layout_features = []
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codes)
    subsetter.subset(font)
    _rename(font)
    subset.save_font(font, str(FONT), options)


def _rename(font: TTFont) -> None:
    """Name the subset "Reelforge Pictograms", keeping the copyright and licence records."""
    names = font["name"]
    postscript = FAMILY.replace(" ", "") + "-Solid"
    replacements = {
        1: FAMILY,
        3: f"{postscript}-{VERSION}",
        4: f"{FAMILY} Solid",
        6: postscript,
        16: FAMILY,
        17: "Solid",
    }
    for record in list(names.names):
        if record.nameID in replacements:
            record.string = replacements[record.nameID]
        elif record.nameID not in (0, 2, 5, 13, 14):
            names.removeNames(nameID=record.nameID)
    names.setName(
        f"A subset of Font Awesome Free {VERSION} Solid by Fonticons, Inc., renamed as the SIL OFL 1.1 "
        "requires for a modified version.",
        10,
        3,
        1,
        0x409,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv))
