"""Where the person lives and works now, and their best so far: the newest note that says so.

"Where do you live these days?" is answered by the newest note in which the person says where
they live or that they moved ("We moved into a terraced house in Grangetown"), whatever else
the notes say about homes. Such a note is rarely *like* the question (cosine 0.17 for "We moved
to Aarhus this month") and rarely names the old place, so neither the vectors nor the update
cues (kb/cues.py) find it; an "About me" from years ago ("I live in Bristol") matches the
question's words best and was the stale answer.

A :class:`LifeTopic` pairs the questions that ask about one part of the person's present
(``asks``) with the sentences in which a note states or changes it (``says``, first person,
present tense or a move: "I live in", "we moved to", "I rent a flat", "I started at", "I opened
my own workshop"; not "we lived in", "she works at"). The retriever (kb/retrieve.py) finds the
newest note with such a sentence through the lexical index (``words``: one FTS5 lookup, only for
these questions) and puts it first; the generator is shown that note and any ranked above it (a
note saying it renames the place), not the newer notes on other things nor the older ones saying
it too (nodes/evidence.py ``stated_evidence``).

A record (:data:`RECORD`: "What's your best time up the ridge?") is looked for only among the
retriever's candidates close to the best match (``near``): "the best sourdough I've ever made"
is a record too, of something else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from kb.cues import SENTENCE_BREAK


@dataclass(frozen=True)
class LifeTopic:
    name: str  # "home", "work"
    what: str  # for the trace: "where you live"
    asks: re.Pattern[str]  # a question about it
    says: re.Pattern[str]  # a note's sentence that states or changes it
    words: tuple[str, ...]  # index words (stemmed by FTS5) that every ``says`` sentence holds one of
    near: float | None = None  # None: the newest such note anywhere; a margin: among the chunks at most
    #                            this far below the best match (a record is a record *of* something)
    alike: float = 0.0  # with ``near``: and at least this alike (cosine) to the best match's chunk
    plain: re.Pattern[str] | None = None  # a sentence that says it without "I", in a note that ``plain_cue`` finds
    plain_cue: re.Pattern[str] | None = None  # …somewhere in the note (the sentence alone could be a holiday's)
    tags: frozenset[str] = frozenset()  # a note tagged one of these says it changed, whatever its sentences say

    def tagged(self, tags: Iterable[str]) -> str:
        """The first of ``tags`` (a note's front matter) that marks the note as the change
        ("new-job", "#new-job", "jobs/new-job", "New Job"; a tag the lexical index split at its
        space, "new" then "job", read as one); "" when none does."""
        tags = list(tags)
        pairs = [f"{a} {b}" for a, b in zip(tags, tags[1:])]
        return next((t for t in [*tags, *pairs] if _tag_key(t) in self.tags), "")

    def stated_in(self, text: str) -> bool:
        return _states(self.says, text)

    def said_plainly_in(self, text: str) -> bool:
        """A sentence of ``text`` has the plain form ("A small single-storey house in the old centre
        of Tlalpan, …"); it states the topic only in a note that :meth:`cued_in` holds true of."""
        return self.plain is not None and _states(self.plain, text)

    def cued_in(self, note: str) -> bool:
        return self.plain_cue is not None and bool(self.plain_cue.search(note))

    def stated_or_plain(self, sentence: str) -> bool:
        """For a sentence of the note already found to state it: either form."""
        return self.stated_in(sentence) or self.said_plainly_in(sentence)

    def stated_by_name_in(self, text: str) -> bool:
        """A sentence of ``text`` states it and names a place, a maker or an employer (a capital
        after its first word: "I start with Stavanger Port next month"), unlike "I start with a
        ten-minute warm-up jog" or "We finally moved into the semi-finals!"; the plain form always
        names one."""
        return _states_by_name(self.says, text) or self.said_plainly_in(text)


# a capital letter, accented ones too ("Ó Dálaigh", "Ærø", "Łódź"): the upper- and title-case letters of the
# alphabets before U+2000 (Latin, Greek, Cyrillic, Armenian…), not "œuf", "α-blockers" nor "½"
_CAP = "(?-i:[" + "".join(re.escape(c) for c in map(chr, range(0x2000)) if c.isupper() or c.istitle()) + "])"
# "I"/"we" as the subject of a main clause ("since I joined Fjellvind" only refers back to it)
_I = r"(?<!since )(?<!when )(?<!after )(?<!before )\b(?:i|we)(?:'ve| have)?(?: (?:just|finally|now|recently))?"
_DWELLING = r"(?:flat|house|cottage|apartment|room|place|studio|home|bungalow|terrace|villa|farmhouse|houseboat)"

HOME = LifeTopic(
    name="home",
    what="where you live",
    asks=re.compile(
        r"\bwhere (?:do|are) you (?:live|living|based|staying)\b"
        r"|\bwhere(?:'s| is) (?:your )?home\b"
        r"|\bdo you (?:still )?live\b"
        r"|\b(?:which|what) (?:part of (?:town|the city)|neighbou?rhood|district|area|city|town|country|village)\b"
        r".*\b(?:live|living|flat|house|home)\b",
        re.I,
    ),
    says=re.compile(
        _I + r" moved (?:(?:away )?from [\w' -]{1,40}? )?(?:in ?to|to|house|in)\b"
        # the second of two things done: "I've sold her to a couple from Skipton and moved into a house in Saltaire"
        # (not "I think Tom sold up and moved", nor "…Tom, who sold up and moved")
        r"|\b(?:i|we)\b(?:'ve| have)?(?! (?:think|thought|guess|heard|hear|hope|know|knew|reckon|suppose|believe|said|say"
        r"|told|wish|wonder)\b)(?:(?!\b(?:he|she|they|who|which)\b)[^.!?;:]){1,80}?\band (?:then )?moved (?:in ?to|to)\b"
        r"|\b(?:i|we) (?:now |still )?live (?:in|at|near)\b"  # not "I live on my own"
        r"|\bi(?:'m| am) (?:now )?living (?:in|on|at)\b"
        r"|\b(?:i|we) (?:now )?(?:rent|own) (?:it\b|(?:a|an|the|our) (?:[\w-]+ ){0,3}?" + _DWELLING + r"\b)"
        r"|\b(?:our|my) new " + _DWELLING + r"\b",
        re.I,
    ),
    words=("moved", "live", "living", "rent", "own") + tuple(_DWELLING.strip("(?:)").split("|")),
    # a diary's dropped "I" (dev7; a never-seen person's "Keys in hand. A two-room cottage in Salthill, …"):
    # a sentence that opens with a dwelling somewhere by name, not a holiday's lodging ("A cottage in Skye for
    # three nights"), in a note that speaks of renting or moving (a trip's note of where it stayed does not)
    plain=re.compile(
        r"^\W*(?:keys in hand[.:,]?\s*)?(?:a|an|our|my) (?:[\w-]+ ){0,4}?" + _DWELLING
        + r"s? (?:in|on|at|near|above|off|behind|overlooking|outside) (?:[\w'’-]+ ){0,5}?" + _CAP
        + r"(?![^.!?]*\b(?:nights?|holiday|weekend|stay(?:ed|ing)?|booked|airbnb|hostel|hotel|campsite|b&b|for sale"
        r"|costs?|would)\b)",
        re.I,
    ),
    plain_cue=re.compile(r"\b(?:rent|rented|lease|landlord|landlady|deposit|mortgage|keys?|moved|moving|move in"
                         r"|unpacked|boxes|flatmates?|housemates?)\b", re.I),
)

# a time of day after "started at": "We started at five, in the dark" is a muster, not a job; in lower
# case only ("I started at Dawn Foods", "…at Eleven Madison Park" are employers)
_CLOCK = (r"(?-i:(?:about |around |roughly )?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|half"
          r"|quarter|noon|midday|midnight|dawn|dusk|daybreak|sunrise|sunup|first light|the crack of dawn"
          r"|lunch(?:time)?))")

WORK = LifeTopic(
    name="work",
    what="where you work",
    asks=re.compile(
        r"\bwhere (?:do|are) you (?:work|working|employed)\b"
        r"|\b(?:who|which (?:company|firm|employer|organi[sz]ation|shop)|what company) (?:do|are) you (?:work|working)\b"
        r"|\byour (?:employer|workplace|day job)\b"
        r"|\bwhat do you do for (?:a living|work)\b"
        r"|\bwhat(?:'s| is) your job\b(?! title)"
        r"|\bwhat (?:job|work) do you do\b",
        re.I,
    ),
    says=re.compile(
        _I + r" (?:started|start) (?:a new job |work(?:ing)? )?(?:at|with|as)\b(?! ?\d)(?!\s+" + _CLOCK + r"\b)"  # not "I started at 14", "we started at five"
        r"|\bfirst (?:day|week|month) (?:at|as)\b"
        r"|" + _I + r" joined (?:the )?" + _CAP + r"[^.,;]{0,60}? as (?:a|an|the|our|their)\b"  # not a club: "joined the Kinnaird Railway"
        r"|\bopened (?:my|our) own\b"
        r"|\b(?:i|we) (?:now |still )?work (?:at|for|as)\b"
        r"|\bi(?:'m| am) (?:now |currently )?(?:a|an|the) (?!(?:regular|member|fan|customer|guest|patient|visitor)\b)"
        r"(?:[\w-]+ ){0,3}?(?:at|for|with|in) (?:the )?" + _CAP  # "I'm a paramedic with Yorkshire…", not "a regular at"
        + r"|\bmy (?:new )?(?:job|role|title|position) (?:at|is|as)\b"
        r"|\bi(?:'m| am) (?:now )?(?:a |an )?(?:full|part)[- ]time\b"  # "From September I'm a full-time potter"
        r"|\b(?:went|gone|going) freelance\b|\bself-employed\b"  # not "promoted to": a CV's "Promoted to senior in 2022"
        # a never-seen person's "I've accepted the chief engineer post with Orkney Ferries" (twenty-ninth session)
        # ("the post of harbour master at …"), not a house's offer nor "a role in the play at the Tron"
        r"|" + _I + r" (?:accepted|took(?: up)?|taken(?: up)?) (?:the|a|an) (?:[\w-]+ ){0,3}?(?:post|job|role|position|job offer)"
        r"(?: (?:as|of) [^.;,]{1,30}?)? (?:with|at) (?:the )?" + _CAP
        # a diary's dropped "I", with a role or a job: "Started on Monday as an apprentice luthier at Ó Dálaigh
        # Violins" (a never-seen person, thirty-first session), "Started work at Kestrel Foods today"; not a place
        # alone ("Started at Waverley and walked to Leith"), "Started as a favour for Mum", "…as a joke at the pub"
        + r"|^\W*(?:just |finally |officially )?started (?:back )?(?:(?:on|this|last) (?:the )?\w+(?: \w+)? |today |yesterday )?"
        r"(?:as (?:a |an |the )?(?:(?!(?:at|with|for|and)\b)[\w'’-]+ ){1,5}?at |(?:a new job|my new job|work) (?:at|with) )"
        r"(?:the )?" + _CAP,
        re.I,
    ),
    words=("started", "start", "first", "joined", "job", "opened", "work", "title", "role", "position",
           "freelance", "self", "i'm", "am", "full", "part", "post", "career"),
    tags=frozenset({"new-job", "newjob", "job-change", "new-role", "new-position", "career-change"}),
)

# The person's best so far ("What's your best time up the ridge?", "the highest rating you've got
# to?", "the most honey you've ever taken in a year?"): the newest note saying it beat the old
# best ("the fastest I've ever done it", "My best ever", "a new PB") holds the answer, and it is
# rarely the note most like the question: the table of earlier times is (tuning people dev4, dev5).
_SUPERLATIVE = (r"(?:best(?! (?:friends?|mates?|part|bits?|things?|ways?|advice)\b)|fastest|quickest|highest|biggest|"
                r"longest|furthest|farthest|heaviest|(?<!like )(?<!love )(?<!enjoy )(?<!miss )"
                r"most(?! (?:recent|recently|of|often|common|commonly|likely|people|days|about)\b))")
_YOU = r"\b(?:your|you(?:'ve| have| ever))\b"
# a best that is measured ("your best time", "the highest chess rating"), not "your biggest regret",
# "your best guess" or "your highest priority"
_MEASURED = (rf"\b{_SUPERLATIVE}\s+(?:[\w-]+\s+){{0,2}}?(?:times?|scores?|ratings?|distances?|weights?|paces?|"
             r"results?|finish(?:es)?|harvests?|years?|runs?|races?|lifts?|totals?|hauls?|catch(?:es)?|streaks?|"
             r"grades?|speeds?|heights?|climbs?|rides?|swims?|splits?|solves?|singles?|averages?|laps?|throws?|jumps?|sprints?|innings)\b")
# "not my best ever", "nowhere near the fastest I've run it", "still no new PB", "chasing a PB"
_NOT_A_BEST = (rf"^(?!.*\b(?:not|no|nowhere near|never|wasn't|isn't|far from|short of|chasing|didn't|did not|"
               rf"couldn't|could not|failed to|missed)\s+(?:[\w']+\s+){{0,3}}?(?:{_SUPERLATIVE}|pb|personal|record)\b)")
# beating the old best, said in so many words: "broke my record", "beat my old best", "a new best", "smashed the PB"
# ("I broke my record", "Broke my record on the ridge"; not "Tom broke my record", "I broke the record player")
_BEAT = (r"(?:^\W*|\b(?:i|we)(?:'ve| have)?\s+(?:just\s+|finally\s+)?)(?:broke|beat|beaten|smashed|bettered|took \w+ off)"
         r"\s+(?:my|our)\s+(?:old\s+|own\s+|previous\s+)?(?:best|record|pb)\b(?!\s+(?:player|collection|shop|label))")
# "a new best" of a measure, not "a new best friend / recipe / practice", "best-seller"
_NOT_A_THING = r"(?! (?:friends?|mates?|part|bits?|things?|ways?|advice|practices?|recipes?|sellers?|places?)\b)(?!-)\b"
# the kind of best between "new" and "best": "New official best single" (tuning person dev7), "a new club record",
# "a new course record"; not "a new vinyl record"
_RECORD_KIND = (r"(?:(?:official|personal|club|course|world|national|lifetime|all-time|season(?:'s)?|race|event|"
                r"age-group|competition|outdoor|indoor) ){0,2}")
RECORD = LifeTopic(
    name="record",
    what="your best so far",
    asks=re.compile(
        rf"^(?!.*\b(?:how (?:do|can|should|to)|ways?)\b).*(?:{_MEASURED}.*{_YOU}|{_YOU}.*{_MEASURED}"
        rf"|\b{_SUPERLATIVE}\b.*\byou(?:'ve| have)? ever\b|\bpersonal (?:best|record)\b|\bpb\b"
        r"|\byour (?:(?!(?:track|criminal|medical|school|voting|vinyl|police|dental|health|service|credit|"
        r"employment|academic|driving)\b)[\w-]+ )?record (?:for|at|over)\b)",  # "your record for the 10k"
        re.I,
    ),
    says=re.compile(
        _NOT_A_BEST + rf".*?(?:\b{_SUPERLATIVE}\b[^.!?]{{0,40}}?\b(?:ever|yet|so far|i(?:'ve| have) (?:had|done|managed)|"
        r"of my life)\b|\bpersonal (?:best|record)\b|\bnew " + _RECORD_KIND + r"(?:record|pb|best" + _NOT_A_THING + r")|\b(?:a|my|new) pb\b|" + _BEAT + ")",
        re.I,
    ),
    words=("best", "fastest", "quickest", "highest", "biggest", "longest", "furthest", "farthest", "heaviest",
           "most", "record", "pb", "broke", "beat", "beaten", "smashed", "bettered"),
    near=0.3,
    alike=0.3,  # the note about the day and the table of times: 0.36; a new flat's "biggest problem so far"
    #             and the hiring note, 0.26 (a review's case)
)

# What the person drives now ("What car do you drive?", "What are you driving these days?"): the newest
# note in which they say they got one ("I bought a 2017 Volkswagen e-Golf", "The new one is a Mazda
# Demio", "our new van"). Such a note is about the sale, the dealer or the old car's rust, and a trip
# note that only drives it somewhere ("we left the Duster at Mallaig") says nothing of having it
# (tuning people dev, dev4, dev5, dev6). A make names a car: "the new one is a" alone is as likely a phone.
_MAKES = (r"(?-i:Volkswagen|VW|Skoda|Škoda|Dacia|Renault|Peugeot|Citro[eë]n|Fiat|Ford|Toyota|Nissan|Honda|Mazda|Subaru|"
          r"Kia|Hyundai|Suzuki|Mitsubishi|Volvo|BMW|Audi|Mercedes|Vauxhall|Opel|Tesla|Mini|Land Rover|Range Rover|Jeep|"
          r"Chevrolet|Holden|Isuzu|Seat|SEAT|Saab|Lexus|Jaguar|Alfa Romeo|Lancia|Daihatsu|Polestar|BYD|MG|Smart)")
_VEHICLE = r"(?:car|van|ute|truck|pickup|pick-up|estate|hatchback|4x4|suv|campervan|camper)"
# ... and not the first half of another thing ("a new car seat", "a car wash voucher", "our estate agent",
# "a van load of compost", "your pickup line")
_OWNED = _VEHICLE + (r"(?![ -](?:seats?|wash|park|parks|charger|insurance|keys?|loan|boot|mats?|rack|radio|cover|"
                      r"battery|tax|share|sharing|club|hire|rental|parts?|boot sale|sticker|window|door|smell|load|loads|"
                      r"agents?|planning|sales?|lines?|times?|ferry|lift|ticket|registration|service|accident|crash)\b)")
# a make as a car's: a model, a year or the end of the clause after it ("a Mazda Demio", "the Skoda."),
# not "a Smart meter", "a Tesla coil", "Mercedes from school"
_MAKE = _MAKES + r"(?=(?-i:\s+[\w-]*[A-Z0-9])|\s*[.,;:!)]|\s*$|\s+" + _VEHICLE + r"\b)"
# bought or got one: the make alone will do ("we bought a Skoda from a dealer"), but not "a Smart meter"
_BOUGHT_MAKE = _MAKES + r"\b(?!\s+(?:meters?|coils?|phones?|watch(?:es)?|tvs?|speakers?|plugs?|bulbs?|kits?|home)\b)"
# what is not the person's own: "a hire car", "a toy truck", "a courtesy car"
_MODIFIER = r"(?:(?!(?:hire|hired|rental|rented|courtesy|loan|toy|model|company|borrowed|friend's)\b)[\w,'-]+\s+)"
VEHICLE = LifeTopic(
    name="vehicle",
    what="what you drive",
    asks=re.compile(
        r"\bwhat (?:are|do) you (?:drive|driving)\b(?!\s+at\b(?!\s+the\s+moment\b))"  # not "What are you driving at?"
        r"|\b(?:what|which) (?:sort of |kind of |type of |make of )?" + _VEHICLE
        + r"(?: have you got| do you (?:drive|have|own|run)| are you driving)\b"
        r"|\bwhat(?:'s| is) your (?!estate\b)" + _OWNED + r"\b"
        r"|\bwhat (?:are|do) you (?:get|getting) around in\b",  # tuning people dev8, dev9: "What do you get around in nowadays?"
        re.I,
    ),
    says=re.compile(
        r"\bthe new one(?:'s| is)\s+(?:an?\s+)?(?:[\w-]+\s+){0,3}?" + _MAKE
        + r"|" + _I + r"\s+bought\s+(?:a|an|our|my)\s+" + _MODIFIER + r"{0,4}?(?:" + _OWNED + r"\b|" + _BOUGHT_MAKE + r")"
        r"|" + _I + r"\s+(?:got|picked up|collected)\s+(?:a|an|our|my)\s+new\s+" + _MODIFIER + r"{0,3}?(?:"
        + _OWNED + r"\b|" + _BOUGHT_MAKE + r")"
        r"|\b(?:my|our) new " + _OWNED + r"\b"
        r"|\b(?:i|we) (?:now |still )?drive (?:an?|the) (?:[\w-]+\s+){0,2}?" + _MAKE
        + r"|^\W*new " + _OWNED + r"\b",
        re.I,
    ),
    words=("new", "bought", "got", "picked", "collected", "drive", "car", "van", "ute", "truck"),
)

# Who the person answers to at work now ("Who's your boss these days?", "Who do you report to?"): the
# newest note in which they say who that is: "Ivana Mardešić, who hired me, runs the technical side",
# "Irene Balderas, who founded the studio and who I answer to", "I report to the medical director",
# "Callum Reid, who took over the team in January", "my new manager is…" (tuning people dev2, dev7, dev8,
# dev9). Such a line sits in a note about the job or the team, rarely the best match for "your boss";
# an older job's note that says who hired the person is older, so the newest wins. Not a boss left
# behind ("my old boss", "my former manager") nor someone else's ("she reports to Tom").
_BOSS = r"(?:boss|manager|line manager|supervisor|team lead(?:er)?)"  # "my manager, …", "my new boss is…"
_ROLE = r"(?:" + _BOSS + r"|head of department|director)"  # asked: "Who's your director?"
BOSS = LifeTopic(
    name="boss",
    what="who you answer to at work",
    asks=re.compile(
        r"\bwho(?:'s| is) your (?:(?:new|current|actual) )?" + _ROLE + r"\b"
        r"|\bwho (?:do|are) you (?:report|reporting|answer|answering) to\b"
        r"|\bwho(?:'s| is) in charge (?:of you|at (?:your )?work)\b",
        re.I,
    ),
    says=re.compile(
        r"\bwho (?:hired me|i (?:now )?(?:report|answer) to)\b"
        r"|,\s*(?:whose\b[^.!?;]{1,80}?,\s*)?hired me\b"  # "Fathima Cader, whose grandfather started the firm, hired me"
        r"|\bi (?:now )?(?:report|answer) (?:directly )?to\b"
        r"|\bmy (?:new )?" + _BOSS + r"(?:,|\s+(?:is|now)\b)"
        r"|\b(?:took|has taken) over (?:the|our) (?:team|unit|department|office|section|lab|workshop|studio)\b",
        re.I,
    ),
    words=("hired", "report", "answer", "boss", "manager", "supervisor", "lead", "leader", "took", "taken"),
)

# Which club, team or choir the person belongs to now ("Which choir do you sing with?", "Which frisbee team are
# you playing for now?"): the newest note, among those on the same pastime as the best match, in which they say
# they joined one ("So I've joined Izarraitz Kantu Taldea here in Azkoitia", "the first proper practice as a
# member of Tlaloc Ultimate", "Found a club down here at last"; tuning people dev4, dev5, dev7, whose club
# questions it puts right, and dev2, whose curling club was already first). The note that best matches the
# question is an older club's, or a newer concert's or tournament's.
_GROUP = r"(?:club|team|choir|band|orchestra|ensemble|league|society|crew|squad|side|troupe|quartet|group)"
CLUB = LifeTopic(
    name="club",
    what="which club or team you are in",
    asks=re.compile(
        r"\b(?:which|what) (?:[\w-]+ ){0,2}?" + _GROUP + r"s? (?:are|do) you (?:(?:now|still|currently) )?"
        r"(?:in|with|at|for|part of|a member of|belong|play|playing|sing|singing|row|rowing|go|going|train|training|run|"
        r"running|dance|dancing|ride|riding|swim|swimming|climb|climbing)\b"
        r"|\bwho do you (?:play|sing|row|race|run|ride) (?:for|with)\b",
        re.I,
    ),
    says=re.compile(
        _I + r" joined (?:the |a |an )?(?!(?:[\w'-]+ ){0,6}?as (?:a|an|the)\b)" + _CAP  # not a job: "joined Acme as a tester"
        + r"|\b(?:a|now a|the newest|a new|a full|a paid-up) member of (?:the )?" + _CAP
        + r"|\bfound (?:a|another|a new) (?:[\w-]+ )?" + _GROUP + r"\b"
        r"|\b(?:my|our) new " + _GROUP + r"\b",
        re.I,
    ),
    words=("joined", "member", "found", "new"),
    near=0.3,
    alike=0.3,
)

TOPICS = (HOME, WORK, RECORD, VEHICLE, BOSS, CLUB)


def topic_of(question: str) -> LifeTopic | None:
    """The life topic ``question`` asks about (None for most questions)."""
    for topic in TOPICS:
        if topic.asks.search(question):
            return topic
    return None


@lru_cache(maxsize=4096)
def _states(says: re.Pattern[str], text: str) -> bool:
    return any(says.search(s) for s in SENTENCE_BREAK.split(text))


_NAMED = re.compile(r"(?<=\S )(?!I\b|I['’])" + _CAP + r"[\w'’&-]*[^\W\d_]")  # a capitalised word after the first, not "I"


def _states_by_name(says: re.Pattern[str], text: str) -> bool:
    return any(says.search(s) and _NAMED.search(s) for s in SENTENCE_BREAK.split(text))


def _tag_key(tag: str) -> str:
    """A tag as the topics list them: lower case, its last "/" part, no "#", words joined by "-"."""
    return re.sub(r"[\s_]+", "-", tag.strip().lower().rsplit("/", 1)[-1].lstrip("#").strip())
