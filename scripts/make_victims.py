#!/usr/bin/env python3
"""Writes N victim rows as a provider would send them (names and birth dates included), for the
import benchmark. Usage: make_victims.py N OUT.csv"""
import csv, random, sys

n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(7)
given = ["Marie", "Clarisse", "Aïcha", "Fatimé", "Mahamat", "Jean", "Séverin", "Zénabou", "Abakar", "Odette", "Moussa", "Prisca"]
family = ["Zanga", "Ngoma", "Yakité", "Abakar", "Mahamat", "Kongbo", "Ndoba", "Sélé", "Wandji", "Haroun"]
status = ["IDENTIFIED", "PRESUMED", "Victime présumée"]
sexes = ["F", "M", "Féminin"]
forms = ["SEX", "LAB", "DOM;BEG", "Exploitation sexuelle", "MIL_ARMED"]
countries = ["CF", "CM", "TD", "Cameroun", "SD"]
regions = ["CF-BGF", "CF-UK", "Bangui", "CF-OP", "CF-HS"]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["provider_ref", "identification_status", "date_identified", "region_identified", "sex", "age",
                "citizenship", "country_of_origin", "country_of_exploitation", "cross_border", "exploitation",
                "vulnerabilities", "referred_to_assistance", "given_name", "family_name", "birth_date"])
    for i in range(n):
        y = rnd.randint(2021, 2025)
        age = rnd.randint(6, 60)
        origin = rnd.choice(["CF", "CF", "CF", "TD", "CM"])
        expl = rnd.choice(["CF", "CF", "CF", "CM"])
        d = f"{rnd.randint(1, 28):02d}/{rnd.randint(1, 12):02d}/{y}" if i % 3 == 0 else f"{y}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        w.writerow([f"B-{i:07d}", rnd.choice(status), d, rnd.choice(regions), rnd.choice(sexes), age,
                    rnd.choice(countries), origin, expl, "oui" if origin != expl else "non", rnd.choice(forms),
                    rnd.choice(["", "IDP", "IDP;POVERTY"]), rnd.choice(["1", "0"]),
                    rnd.choice(given), rnd.choice(family), f"{y - age}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"])
