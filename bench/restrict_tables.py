"""restrict_tables - the tables of the "relay with restrictions" scenario.

Both MTAs get the same table sources, written by this module into their
own directories: a cidr: client access table and a sender access table
of 1,000 entries each, 100 header_checks and 20 body_checks pcre: rules.
The sender table is indexed: Postfix compiles it to hash: with postmap,
Sluice to lmdb: with sluice-map (mtas.py runs the tool).

None of the entries matches the load (client 127.0.0.2, sender
bench@source.test, loadgen.make_body's headers and body of x lines):
every message pays for every lookup and every rule, as a clean
message on a filtered server does.  The rules are of the kinds admins
write (spam subject words, bulk mailers, dangerous attachments, forged
senders, URL shorteners and phishing phrases in the body) rather than
one pattern repeated, so that the regex engine does real work.
"""

import os

ENTRIES = 1000          # client and sender access entries each
HEADER_RULES = 100
BODY_RULES = 20

SPAM_WORDS = [
    "viagra", "cialis", "levitra", "casino", "lottery", "jackpot",
    "bitcoin doubler", "crypto giveaway", "weight loss", "diet pills",
    "replica watches", "rolex", "payday loan", "credit repair",
    "debt relief", "work from home", "make money fast", "miracle cure",
    "enlargement", "singles in your area", "hot girls", "dating",
    "pharmacy", "no prescription", "cheap meds", "inheritance",
    "beneficiary", "wire transfer", "western union", "unclaimed funds",
    "you have won", "winner", "congratulations", "free gift",
    "gift card", "act now", "limited time", "100% free", "risk free",
    "urgent reply", "account suspended", "verify your account",
    "password expired", "invoice overdue", "final notice", "mortgage",
    "refinance", "investment opportunity", "stock alert", "penny stock",
    "hot stock", "forex signals", "binary options", "seo services",
    "web traffic", "backlinks", "email list", "bulk email",
    "male enhancement", "anti aging",
]

HEADER_TEMPLATES = [
    r"/^Content-(Type|Disposition):.*name\s*=\s*" '"?'
    r".*\.(exe|scr|pif|bat|cmd|com|cpl|vbs|js|jse|wsf|hta|jar)" '"?'
    r"\s*(;|$)/ REJECT attachment type not allowed",
    r"/^X-Mailer:.*(Mass Mailer|BulkMail|Send-Safe|Dark Mailer)/ "
    r"REJECT bulk mailer",
    r"/^X-Mailer:.*(The Bat!.*v1\.[0-4]|Microsoft Outlook Express 5\.00)/ "
    r"REJECT forged mailer",
    r"/^User-Agent:.*(massmail|spamcannon)/ REJECT bulk mailer",
    r"/^Subject:.*=\?(koi8-r|gb2312|big5|windows-1251)\?/ "
    r"REJECT unsolicited foreign charset",
    r"/^Subject:\s*$/ WARN empty subject",
    r"/^Subject:.*[!?$]{4,}/ REJECT punctuation spam",
    r"/^Subject:.*\bADV\s*:/ REJECT advertisement",
    r"/^From:.*<>\s*$/ REJECT empty From address",
    r"/^From:.*@(localhost|localhost\.localdomain)>?\s*$/ "
    r"REJECT forged local sender",
    r"/^To:.*undisclosed-recipients:\s*;?$/ WARN undisclosed recipients",
    r"/^Received:.*\[(10\.66\.6|192\.0\.2)\.\d+\]/ REJECT known bad relay",
    r"/^Message-ID:.*@(spamhost|bulkmail)\.example>/ REJECT bulk sender",
    r"/^X-Spam-Flag:\s*YES/ REJECT already tagged as spam",
    r"/^Reply-To:.*@(mail\.ru|qq\.com)>?\s*$/ WARN freemail reply-to",
    r"/^Content-Type:.*charset=\"?(ks_c_5601-1987|iso-2022-kr)/ "
    r"REJECT unsolicited charset",
    r"/^X-Priority:\s*1\s*\(Highest\).*/ WARN urgent priority",
    r"/^Importance:\s*high/ WARN high importance",
    r"/^List-Unsubscribe:.*(optout|remove-me)\.example/ "
    r"REJECT known bulk list",
    r"/^Return-Path:.*@(bounce|bulk)[0-9]+\./ REJECT bulk bounce domain",
]

BODY_RULES_TEXT = [
    r"/https?:\/\/(bit\.ly|tinyurl\.com|goo\.gl|t\.co|is\.gd)\/[A-Za-z0-9]+/ "
    r"REJECT URL shortener",
    r"/https?:\/\/[^\/\s]*\.(top|xyz|click|loan|work|gq|tk)\b/ "
    r"REJECT link to a spam TLD",
    r"/https?:\/\/\d+\.\d+\.\d+\.\d+[\/:]/ REJECT link to a bare address",
    r"/<iframe\b/ REJECT iframe in mail",
    r"/<script\b[^>]*>/ REJECT script in mail",
    r"/\b(verify|confirm|update) your (account|password|billing)\b/ "
    r"REJECT phishing",
    r"/\byour (account|mailbox) (has been|will be) (suspended|closed)\b/ "
    r"REJECT phishing",
    r"/\bclick (here|below) to (unsubscribe|claim|verify)\b/ "
    r"REJECT bulk mail",
    r"/\b(100% guaranteed|risk[- ]free|no obligation)\b/ REJECT spam",
    r"/\bdear (friend|beneficiary|winner|customer)\b/ REJECT spam greeting",
    r"/\b(million|billion) (us )?dollars\b/ REJECT advance fee",
    r"/\bnext of kin\b/ REJECT advance fee",
    r"/\bwestern union\b|\bmoneygram\b/ REJECT advance fee",
    r"/\b(bitcoin|btc) (wallet|address): *[13][a-km-zA-HJ-NP-Z1-9]{25,34}/ "
    r"REJECT extortion",
    r"/\bI (recorded|hacked) (you|your)\b/ REJECT extortion",
    r"/^begin [0-7]{3} .*\.(exe|scr|pif|com)$/ REJECT uuencoded executable",
    r"/^TVqQAAMAAAAEAAAA/ REJECT base64 executable",
    r"/=\?utf-8\?b\?[A-Za-z0-9+\/]{200,}/ REJECT encoded spam header in body",
    r"/\b(viagra|cialis|levitra)\b/ REJECT pharmacy spam",
    r"/\bunsubscribe\b.*\b(optout|remove-me)\.example\b/ "
    r"REJECT known bulk list",
]


def client_access_text():
    """1,000 networks no load client is in: /24s in 10/8, /32s in
    172.16/12, each with an action admins use."""
    lines = ["# client access: blocked networks (bench)"]
    for i in range(ENTRIES):
        if i < 600:
            net = "10.%d.%d.0/24" % (i // 200 + 1, i % 200)
        else:
            j = i - 600
            net = "172.16.%d.%d/32" % (j // 200, j % 200 + 1)
        action = ("REJECT", "REJECT blocked network",
                  "554 5.7.1 mail from this network is refused",
                  "DEFER try again later")[i % 4]
        lines.append("%s\t%s" % (net, action))
    return "\n".join(lines) + "\n"


def sender_access_text():
    """1,000 senders, domains and user@ parts none of which the load's
    sender (bench@source.test) is or is under."""
    lines = ["# sender access: known spam sources (bench)"]
    for i in range(ENTRIES):
        kind = i % 4
        if kind == 0:
            key = "offers%d@bulk%d.example" % (i, i // 4)
        elif kind == 1:
            key = "spam-domain-%d.example" % i
        elif kind == 2:
            key = "newsletter%d@" % i
        else:
            key = "mailer%d.marketing.example.net" % i
        action = ("REJECT", "REJECT known spam source",
                  "550 5.7.1 sender blocked", "DISCARD")[i % 4]
        lines.append("%s\t%s" % (key, action))
    return "\n".join(lines) + "\n"


def header_checks_text():
    rules = list(HEADER_TEMPLATES)
    for word in SPAM_WORDS:
        if len(rules) >= HEADER_RULES:
            break
        rules.append(r"/^Subject:.*\b%s\b/ REJECT spam subject (%s)"
                     % (word.replace(" ", r"\s+"), word))
    n = 0
    while len(rules) < HEADER_RULES:
        rules.append(r"/^From:.*@(promo|deals)%d\.example>?\s*$/ "
                     r"REJECT known spam sender" % n)
        n += 1
    assert len(rules) == HEADER_RULES
    return "# header_checks (bench)\n" + "\n".join(rules) + "\n"


def body_checks_text():
    assert len(BODY_RULES_TEXT) == BODY_RULES
    return "# body_checks (bench)\n" + "\n".join(BODY_RULES_TEXT) + "\n"


def write(directory):
    """Write the four sources into directory; returns their paths by
    name: client_access (cidr), sender_access (to be compiled),
    header_checks, body_checks (pcre)."""
    paths = {}
    for name, text in (("client_access.cidr", client_access_text()),
                       ("sender_access", sender_access_text()),
                       ("header_checks.pcre", header_checks_text()),
                       ("body_checks.pcre", body_checks_text())):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        paths[name.split(".")[0]] = path
    return paths


def restrictions(paths, sender_type):
    """The main.cf settings of the scenario, the same for both MTAs
    except the sender table's type (hash for Postfix, lmdb for Sluice)."""
    return {
        "smtpd_recipient_restrictions":
            "permit_mynetworks, reject_unauth_destination, "
            "check_client_access cidr:%s, check_sender_access %s:%s, "
            "reject_non_fqdn_sender"
            % (paths["client_access"], sender_type, paths["sender_access"]),
        "header_checks": "pcre:%s" % paths["header_checks"],
        "body_checks": "pcre:%s" % paths["body_checks"],
    }
