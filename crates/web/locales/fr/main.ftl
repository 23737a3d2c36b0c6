app-title = Tessera
app-tagline = Données nationales sur la traite des personnes et le trafic illicite de migrants
language-name = Français
language = Langue
menu = Menu
skip-to-content = Aller au contenu
dictionary-version = Dictionnaire de données { $version }
nav-home = Accueil
nav-records = Fiches
nav-upload = Téléverser
nav-submissions = Transmissions
nav-review = À valider
nav-timeliness = Ponctualité
nav-providers = Fournisseurs
nav-users = Utilisateurs
nav-audit = Journal d’audit
nav-account = Mon compte
sign-in = Se connecter
sign-out = Se déconnecter
username = Identifiant
password = Mot de passe
display-name = Nom
login-failed = Identifiant ou mot de passe incorrect.
login-throttled = Trop d’échecs depuis cet appareil : attendez { $seconds ->
    [one] une seconde
   *[other] { $seconds } secondes
} puis réessayez.
second-factor = Second facteur
second-factor-help = Saisissez le code à 6 chiffres que votre application d’authentification affiche pour Tessera.
code = Code
code-failed = Ce code n’est pas le bon. Vérifiez l’heure de votre téléphone et réessayez.
confirm = Confirmer
role = Rôle
role-admin = Administrateur système
role-coordinator = Coordonnateur national
role-analyst = Analyste
role-focal_point = Point focal
role-viewer = Lecteur du fournisseur
role-partner = Partenaire
providers-heading = Fournisseurs de données
providers-intro = { $count ->
    [one] Un fournisseur transmet
   *[other] { $count } fournisseurs transmettent
} des données dans le cadre d’accords de partage. Les chiffres sont des fiches reçues, avant que le couplage ne compte chaque personne une seule fois.
partner-intro = Totaux nationaux des fiches reçues, tous fournisseurs confondus. Les effectifs inférieurs à 5 ne sont pas affichés.
national-totals = Totaux nationaux
col-provider = Fournisseur
col-id = Identifiant
col-type = Type
col-region = Région
col-total = Total des fiches
col-submissions = Transmissions
col-period = Période
col-version = Version
col-status = État
col-submitted = Transmise le
col-reference = Référence
col-row = Ligne
col-column = Colonne
col-problem = Problème
col-suggestion = Suggestion
total-row = Tous les fournisseurs
entity-victim = Victimes
entity-suspect = Suspects
entity-cj_case = Affaires pénales
entity-smuggled_migrant = Migrants objets de trafic
entity-smuggling_incident = Incidents de trafic de migrants
entity-assistance = Assistance
entity-person_case_link = Liens personne–affaire
entities = Types de fiche
entity = Type de fiche
no-providers = Aucun fournisseur n’est encore enregistré : les administrateurs et les coordonnateurs les enregistrent sur la page Fournisseurs (ou avec tessera provider add).
none = Aucun pour l’instant.
agreements = Accords de partage de données
agreement-entities = Partage
agreement-level = Niveau
level-case = Niveau individuel (pseudonymisé)
level-aggregate = Agrégats seulement
valid-from = Valable du
valid-to = Valable jusqu’au
signed-on = Signé le
focal-points = Points focaux et lecteurs
status-draft = Brouillon
status-submitted = Transmise
status-approved = Validée
status-returned = Renvoyée
submission = Transmission
records-in-submission = Fiches de cette transmission
submit-help = Transmettre envoie cette version au coordonnateur national. Vous ne pourrez plus la modifier, sauf si elle vous est renvoyée.
action-submit = Transmettre pour validation
action-approve = Valider
action-return = Renvoyer au fournisseur
return-comment = Pourquoi la renvoyer ? (obligatoire pour renvoyer)
return-needs-comment = Indiquez pourquoi la transmission est renvoyée : le point focal doit savoir quoi corriger.
history = Historique
review-intro = Transmissions en attente de votre décision. Ouvrez-en une pour la valider ou la renvoyer avec un commentaire.
timeliness-intro = La transmission de chaque fournisseur par période au regard de l’échéance, comptée depuis la première soumission de la période : une correction envoyée plus tard ne la rend pas tardive.
timeliness-missing = Rien reçu
timeliness-late = { $days ->
    [one] Un jour de retard
   *[other] { $days } jours de retard
}
timeliness-ontime = À temps
next-page = Page suivante
new-record = Nouvelle fiche
variable = Variable
value = Valeur
identifiers-note = Les noms, dates de naissance, numéros d’identité et de téléphone ne sont jamais conservés : ils ont été transformés en pseudonymes à clé à l’arrivée de la fiche.
earlier-versions = Versions antérieures
yes = Oui
no = Non
upload-intro = Remplissez le modèle de votre fournisseur (ou téléchargez-en un ci-dessous), puis téléversez-le ici. Tout le fichier est vérifié : en cas d’erreur, rien n’est enregistré et chaque problème est indiqué avec sa ligne et sa colonne.
template-xlsx = Modèle Excel (tous les types de fiche)
file = Fichier
upload-button = Vérifier et téléverser
upload-incomplete = Choisissez un type de fiche, une période et un fichier.
upload-stored = Enregistré pour { $period } : { $inserted } nouvelles, { $updated } mises à jour. La transmission reste un brouillon jusqu’à ce que vous la transmettiez.
upload-refused = { $errors ->
    [one] un problème a été trouvé
   *[other] { $errors } problèmes ont été trouvés
} ; rien n’a été enregistré. Corrigez le fichier et téléversez-le à nouveau.
report-caption = Problèmes trouvés, ligne par ligne
report-truncated = Seuls les 500 premiers problèmes sont affichés.
see-submission = Voir la transmission et la transmettre pour validation
rows-stored = { $count ->
    [one] Une fiche enregistrée.
   *[other] { $count } fiches enregistrées.
}
entry-intro = Les champs marqués * sont obligatoires. Les noms et numéros d’identité sont transformés en pseudonymes dès l’enregistrement ; ils ne sont jamais conservés.
entry-stored = Enregistrée dans la transmission { $submission } ({ $inserted } nouvelle(s), { $updated } mise(s) à jour, { $unchanged } inchangée(s)). Vous pouvez saisir la fiche suivante.
save-record = Enregistrer la fiche
pseudonymised = pseudonymisé
audit-intact = La chaîne de { $count } entrées est intacte.
audit-broken = La chaîne est rompue à l’entrée { $seq } : { $reason }
audit-tampered = Le journal d’audit échoue à la vérification. { $reason }
audit-at = Quand
audit-actor = Qui
audit-action = Action
audit-object = Objet
audit-detail = Détail
audit-hash = Empreinte
filter = Filtrer
actions = Actions
active = Actif
disabled = Désactivé
temporary-password = Mot de passe provisoire (12 caractères ou plus)
action-reset = Réinitialiser le mot de passe
action-disable = Désactiver
action-enable = Réactiver
action-token = Émettre un jeton d’API
action-revoke = Révoquer les jetons portant ce libellé
action-create = Créer
token-label = Libellé du jeton
new-user = Nouvel utilisateur
user-created = Utilisateur { $username } créé. Demandez-lui de garder son mot de passe pour lui.
user-reset = Le mot de passe de { $username } a été réinitialisé ; il en choisira un nouveau à la connexion.
user-disabled = { $username } est désactivé et déconnecté partout.
user-enabled = { $username } est de nouveau actif.
user-self = Vous ne pouvez pas désactiver votre propre compte.
token-created = Jeton d’API pour { $username } (affiché une seule fois ; conservez-le en lieu sûr) : { $token }
token-revoked = { $count } jeton(s) révoqué(s).
change-password = Changer de mot de passe
current-password = Mot de passe actuel
new-password = Nouveau mot de passe (12 caractères ou plus)
repeat-password = Nouveau mot de passe, à nouveau
must-change-password = Un administrateur a réinitialisé votre mot de passe : choisissez-en un nouveau pour continuer.
password-wrong = Le mot de passe actuel n’est pas le bon.
password-mismatch = Les deux nouveaux mots de passe diffèrent.
password-same = Le nouveau mot de passe doit différer de l’actuel.
save = Enregistrer
totp-off = Aucun second facteur n’est configuré. Avec un second facteur, un mot de passe volé ne suffit pas à ouvrir votre compte.
totp-on = Un second facteur protège votre compte. Pour le retirer, saisissez un code actuel.
totp-start = Configurer un second facteur
totp-enrol-help = Ajoutez cette clé dans une application d’authentification (ou ouvrez le lien sur votre téléphone), puis saisissez le code qu’elle affiche.
totp-enrolled = Le second facteur est configuré : un code vous sera demandé à chaque connexion.
totp-remove = Retirer le second facteur
totp-removed = Le second facteur est retiré.
nav-dashboard = Tableaux de bord
dash-views = Tableaux de bord
dash-victims = Victimes
dash-flows = Flux
dash-funnel = Justice pénale
dash-smuggling = Trafic de migrants
dash-quality = Qualité des données
dash-nap = Plan d’action national
dash-note = Transmissions validées seulement, comptées en fiches reçues (avant que le couplage ne compte chaque personne une seule fois).
dash-year-from = De l’année
dash-year-to = À l’année
dash-sex = Sexe
dash-expr = Condition
dash-table = Tableau
dash-csv = Télécharger le tableau (CSV)
dash-suppressed = Les cellules marquées c sont masquées : trop petites pour être publiées sans risque d’identifier quelqu’un.
dash-incidents = Fiches d’incidents de trafic illicite
dash-migrants = Fiches de migrants objets de trafic
dash-deaths = Décès
dash-injuries = Blessés
dash-estimate = Victimes cachées (ESM)
dash-unit = Compter
dash-unit-records = fiches
dash-unit-persons = personnes uniques
dash-note-persons = Transmissions validées seulement, comptées en personnes uniques : les fiches d’une même personne venant de plusieurs fournisseurs comptent une fois (couplage sur pseudonymes).
dash-victim-records = Fiches de victimes
dash-victim-persons = Victimes uniques (après couplage)
dash-persons-range = Le modèle de couplage en attend { $expected } (intervalle à 95 % : { $low } à { $high }) d’après ses probabilités de correspondance ; le chiffre compte les personnes que forment ses liens.
mse-stepwise = Victimes estimées, modèle pas à pas (Home Office)
mse-min-bic = Victimes estimées, modèle au BIC minimal
mse-observed = observées
mse-warning = Mise en garde
nav-linkage = Revue des appariements
linkage-intro = Paires de fiches sur lesquelles l'appariement hésite. Chaque champ montre comment les deux fiches se comparent et combien cela pèse pour (+) ou contre (−) une même personne, en bits. Les noms ne sont jamais affichés : ils ne sont pas conservés. Votre décision est retenue, inscrite au journal d'audit et appliquée à tout décompte de personnes.
linkage-summary = { $pending } paires à examiner ; { $decided } décisions appliquées.
linkage-band = Les paires dont la probabilité de correspondance est comprise entre { $low } % et { $high } % arrivent ici.
linkage-entity = Fiches de
linkage-records = Fiches
linkage-persons = Personnes
linkage-queue = Paires à examiner
linkage-none = Aucune paire à examiner.
linkage-probability = Probabilité de correspondance
linkage-linked = comptées comme une seule personne
linkage-not-linked = comptées comme deux personnes
linkage-field = Champ
linkage-comparison = Comparaison
linkage-weight = Poids (bits)
linkage-same = Même personne
linkage-different = Personnes différentes
linkage-verdicts = Décisions
linkage-pair = Fiches
linkage-verdict = Décision
linkage-bad-verdict = La décision doit être « même personne » ou « personnes différentes ».
field-name = Nom
field-birth_date = Date de naissance
field-id_number = Numéro d'identité
field-phone = Téléphone
field-sex = Sexe
field-citizenship = Nationalité
field-address = Résidence
level-missing = sans effet (absent d'un côté, ou non pris en compte)
level-name-6 = même nom complet
level-name-5 = même nom de famille, prénom à une faute près
level-name-4 = même prénom, nom de famille à une faute près
level-name-3 = noms d'orthographe voisine
level-name-2 = un nom identique, l'autre différent
level-name-1 = noms assez proches
level-name-0 = noms différents
level-birth_date-6 = même date
level-birth_date-5 = jour et mois inversés
level-birth_date-4 = même année et même mois
level-birth_date-3 = même année (un côté ne connaît que l'année)
level-birth_date-2 = même année, autre mois
level-birth_date-1 = un an d'écart
level-birth_date-0 = différente
level-id_number-1 = identique
level-id_number-0 = différent
level-phone-1 = identique
level-phone-0 = différent
level-sex-1 = identique
level-sex-0 = différent
level-citizenship-1 = identique
level-citizenship-0 = différente
level-birth_date-7 = même jour et mois, autre année
level-name-7 = noms qui se prononcent de même, écrits autrement
level-birth_date-8 = connue d'un seul côté
level-birth_date-9 = inconnue des deux côtés
level-birth_date-10 = années de naissance à deux ans d'écart
level-sex-2 = différent (noms proches)
level-sex-3 = même sexe (noms proches)
level-citizenship-2 = différente (noms proches)
level-citizenship-3 = même nationalité (noms proches)
level-address-3 = même adresse
level-address-2 = même code postal et même localité
level-address-1 = même code postal ou même localité, pas les deux
level-address-0 = rien en commun
drill-title = Fiches derrière le chiffre
drill-filter = Filtre :
drill-more = d'autres fiches correspondent ; les 500 premières sont listées
drill-back = Retour au tableau de bord
drill-view = Filtrer le tableau de bord sur cette ligne
drill-records = Voir les fiches
encode-here = Pseudonymiser dans ce navigateur avant l'envoi (fichiers CSV) : noms, dates de naissance et numéros d'identité ne quittent jamais cet ordinateur
encode-xlsx = La pseudonymisation dans le navigateur lit les fichiers CSV : enregistrez le classeur en CSV (ou utilisez tessera pseudonymise) puis choisissez-le à nouveau. Rien n'a été envoyé.
encode-working = Pseudonymisation dans ce navigateur…
encode-bad-date = la date de naissance n'est pas une date (AAAA, AAAA-MM, AAAA-MM-JJ ou JJ/MM/AAAA). Rien n'a été envoyé.
encode-failed = La pseudonymisation dans ce navigateur a échoué ; rien n'a été envoyé :
encode-stale = le codeur de cette page n'est pas celui du serveur (Tessera a été mis à jour) : rechargez la page et recommencez.
# Registre, accords, calendrier, premier démarrage (registry.rs)
nav-periods = Calendrier de déclaration
field-too-long = { $field } : { $max } caractères au plus.
bad-day = { $field } : « { $value } » n’est pas une date écrite AAAA-MM-JJ.
provider-name = Nom
provider-name-in = Nom ({ $language }), s’il diffère
provider-name-required = Un fournisseur doit avoir un nom.
provider-contact = Contact du point focal
provider-id-help = 2 à 63 caractères parmi a–z, 0–9 et -, par exemple police-bangui. Il ne pourra plus être changé.
provider-id-fixed = L’identifiant d’un fournisseur ne peut pas être changé.
provider-ngo = Organisation non gouvernementale (pas une institution publique)
provider-ngo-short = ONG
provider-add = Enregistrer un fournisseur
provider-register = Enregistrer
provider-import = Enregistrer toute une liste
provider-import-help = Une liste CSV ou Excel, un fournisseur par ligne : les colonnes id, name et type sont obligatoires ; region, ngo (oui/non), contact et name_fr, name_en sont facultatives. Chaque cellule est vérifiée : si l’une est fausse, rien n’est enregistré et chaque problème est indiqué avec sa ligne et sa colonne.
provider-import-button = Vérifier et enregistrer la liste
provider-edit = Modifier ce fournisseur
provider-retire = Retirer ce fournisseur
provider-retire-help = Un fournisseur retiré garde ses fiches et son historique mais n’envoie plus rien. Ses points focaux peuvent toujours se connecter et consulter.
provider-retire-confirm = Oui, retirer ce fournisseur
provider-retired-on = Retiré le { $date }
registry-empty = Aucun fournisseur n’est encore enregistré.
retire-on = À partir du
import-no-file = Choisissez la liste à enregistrer.
import-unreadable = La liste n’a pas pu être lue.
providers-imported = { $count ->
    [one] Un fournisseur enregistré
   *[other] { $count } fournisseurs enregistrés
} depuis { $file }.
providers-import-refused = { $file } : { $errors ->
    [one] un problème a été trouvé
   *[other] { $errors } problèmes ont été trouvés
} ; rien n’a été enregistré. Corrigez la liste et envoyez-la à nouveau.
agreement-number = N°
agreement-document = Document signé
agreement-document-pdf = Document signé (PDF)
agreement-download = Télécharger
agreement-none = Aucun accord n’est enregistré : ce fournisseur ne peut pas envoyer de données tant qu’il n’y en a pas.
agreement-add = Enregistrer un accord
agreement-record = Enregistrer l’accord
agreement-end = Mettre fin à cet accord
agreement-end-confirm = Oui, y mettre fin : le fournisseur n’envoie plus rien de ce qu’il couvrait à partir de ce jour
agreement-no-entity = Cochez au moins un type de fiche couvert par l’accord.
agreement-not-pdf = Le document signé doit être un fichier PDF.
agreement-already-ended = Cet accord a déjà pris fin le { $date }.
agreement-in-force = En vigueur
agreement-ended-on = Terminé le { $date }
agreement-not-yet = Pas en vigueur avant le { $date }
agreement-expired = Expiré le { $date }
signatories = Signataires
end-on = À partir du
confirm-needed = Cochez la case de confirmation pour continuer.
periods-intro = Les périodes de déclaration : quand chacune court, quand les soumissions sont attendues et quels types de fournisseurs déclarent. Une période close ne reçoit plus de soumission.
periods-none = Aucune période de déclaration n’est encore ouverte.
period-start = Premier jour
period-end = Dernier jour
period-due = Échéance
period-types = Qui déclare
period-types-help = Ne cochez rien pour tous les types de fournisseurs.
period-all-types = Tous les types
period-open = Ouverte
period-open-past-due = Ouverte, échéance passée
period-closed-on = Close le { $date }
period-close = Clore
close-on = À partir du
period-add = Ouvrir ou modifier une période
period-add-help = Annuelle (2025), trimestrielle (2025-Q1) ou mensuelle (2025-01). Ouvrir une période qui existe change ses dates.
period-open-button = Ouvrir la période
period-id-invalid = Une période a besoin d’un identifiant de 1 à { $max } caractères, par exemple 2025 ou 2025-Q1.
period-due-before-end = L’échéance des soumissions ({ $due }) ne peut pas précéder la fin de la période ({ $end }).
period-already-closed = Cette période a déjà été close le { $date }.
done-provider-registered = Le fournisseur est enregistré. Enregistrez ci-dessous son accord de partage de données : sans accord, il ne peut rien envoyer.
done-provider-changed = Les modifications sont enregistrées.
done-provider-retired = Le fournisseur est retiré ; ses fiches sont conservées.
done-agreement-added = L’accord est enregistré.
done-agreement-ended = Il a été mis fin à l’accord.
done-period-opened = La période est ouverte.
done-period-closed = La période est close.
setup-heading = Mise en place de Tessera
setup-intro = Avant l’arrivée des premières données, l’organe de coordination enregistre ses fournisseurs de données, l’accord de partage de données de chacun, ouvre une période de déclaration et crée un compte de point focal pour chaque fournisseur. Chaque étape se fait sur ces pages ou avec la commande indiquée.
setup-progress = { $done ->
    [0] Aucune étape faite
    [one] Une étape faite
   *[other] { $done } étapes faites
} sur { $count }
setup-see-steps = Étapes de mise en place
setup-done = Fait
setup-todo = À faire
setup-missing = Manque encore pour :
setup-cli = Ou sur le serveur :
setup-extension = Extension nationale du dictionnaire de données
setup-extension-loaded = Chargée : { $name } ({ $id }, pays { $country }), avec ses régions et ses codes nationaux.
setup-extension-none = Aucune n’est chargée : le dictionnaire de base seulement, sans les régions du pays.
setup-extension-note = Elle est choisie à la création de la base (tessera init --extension) ; l’application web ne peut pas la changer.
setup-providers = Fournisseurs de données
setup-providers-status = { $count ->
    [0] Aucun fournisseur n’est enregistré.
    [one] Un fournisseur est enregistré.
   *[other] { $count } fournisseurs sont enregistrés.
}
setup-providers-link = Enregistrer des fournisseurs
setup-after-providers = Rien pour l’instant : enregistrez d’abord les fournisseurs.
setup-agreements = Accords de partage de données
setup-agreements-status = { $with } fournisseurs sur { $count } ont un accord en vigueur.
setup-agreements-link = Enregistrer un accord
setup-periods = Calendrier de déclaration
setup-periods-none = Aucune période de déclaration n’est ouverte.
setup-periods-status = Ouvertes : { $ids }.
setup-periods-link = Ouvrir une période
setup-focal-points = Comptes des points focaux
setup-focal-points-status = { $with } fournisseurs sur { $count } ont un compte de point focal.
setup-focal-points-link = Créer les comptes
setup-focal-points-admin = L’administrateur système crée les comptes.

# Page du Plan d’action national (/nap)
nav-nap = Plan d’action
nap-title = Plan d’action national : situations de référence et cibles
nap-none = Aucun Plan d’action national n’est chargé. Chargez-en un avec cette commande (le format de config/nap/) ; ses indicateurs apparaîtront ici.
nap-intro-edit = Chaque indicateur du plan, par pilier, avec sa situation de référence et ses cibles. Modifiez-les sous chaque indicateur ; pour les indicateurs mesurés à partir des registres d’activité, saisissez le chiffre de chaque année. Chaque modification est inscrite au journal d’audit.
nap-intro-read = Chaque indicateur du plan, par pilier, avec sa situation de référence et ses cibles, tels que l’organe de coordination les a fixés.
nap-dashboard-link = La progression et le statut de chaque indicateur sont au tableau de bord.
nap-edit-link = Situations de référence, cibles et chiffres saisis
nap-plan = Plan
nap-pillars = Piliers
nap-pillar-prevention = Prévention
nap-pillar-protection = Protection
nap-pillar-prosecution = Poursuites
nap-pillar-partnership = Partenariat
nap-measure = Mesure
nap-measure-count = Nombre de fiches
nap-measure-share = Part des fiches
nap-measure-sum = Somme
nap-measure-median = Médiane
nap-measure-on_time_share = Fournisseurs transmettant à temps
nap-measure-providers_reporting = Fournisseurs dont les données sont approuvées
nap-measure-entered = Saisi à partir des registres d’activité
nap-counted = Compté
nap-where = où
nap-among = parmi celles où
nap-direction = Sens de l’amélioration
nap-direction-increase = Hausse
nap-direction-decrease = Baisse
nap-baseline = Situation de référence
nap-baseline-in = { $year } : { $value }
nap-baseline-value = Valeur de référence
nap-baseline-from-data = d’après les données approuvées de cette année
nap-baseline-from-figure = le chiffre saisi pour cette année
nap-baseline-help = Laissez la valeur vide pour prendre la référence dans les données approuvées de l’année de référence.
nap-baseline-help-entered = Laissez la valeur vide pour prendre le chiffre saisi pour l’année de référence.
nap-targets = Cibles
nap-target = Cible
nap-year = Année
nap-no-targets = Aucune cible fixée.
nap-edit = Modifier la référence et les cibles
nap-edit-help = Modifiez une année ou une valeur ; videz une valeur pour retirer la cible de cette année ; remplissez une ligne vide pour ajouter une année. Aucune cible ne peut précéder l’année de référence.
nap-save-targets = Enregistrer la référence et les cibles
nap-figures = Chiffres saisis
nap-figures-help = À partir des registres d’activité (registres de formation, rapports, accords signés) : saisissez le chiffre d’une année et sa source ; effacez-le pour le retirer.
nap-figure = Chiffre
nap-figure-for = Chiffre pour { $year }
nap-note = Source
nap-note-for = Source du chiffre pour { $year }
nap-entered-by = Saisi par
nap-save-figure = Enregistrer
nap-clear-figure = Effacer
nap-value-missing = Saisissez un chiffre, ou effacez le chiffre de l’année pour le retirer.
nap-conflict = Le plan était modifié par quelqu’un d’autre au même moment ; rechargez la page et réessayez.
done-nap-targets = La référence et les cibles sont enregistrées.
done-nap-unchanged = Rien n’a changé.
done-nap-figure = Le chiffre est enregistré.
done-nap-cleared = Le chiffre est retiré.
# Page des rapports (/reports)
nav-reports = Rapports
reports-title = Rapport annuel et questionnaires internationaux
reports-intro = Le rapport national annuel et les questionnaires internationaux, établis à partir des seules données approuvées, avec le contrôle de la divulgation du déploiement. Chaque phrase du rapport est générée à partir des chiffres : relisez-la, modifiez-la au besoin, puis téléchargez le rapport. La commande tessera report annual produit le même rapport, modifications comprises.
reports-year = Année de référence
reports-language = Langue du rapport
report-lang-en = Anglais
report-lang-fr = Français
reports-show = Afficher
reports-downloads = Téléchargements
reports-annual = Rapport national annuel
report-download-html = HTML
report-download-pdf = PDF
report-download-docx = DOCX (Word)
reports-edited-count = { $n ->
    [0] Aucune phrase modifiée à la main : toutes les phrases sont générées à partir des chiffres.
    [one] Une phrase modifiée à la main ; le rapport le mentionne.
   *[other] { $n } phrases modifiées à la main ; le rapport le mentionne.
}
report-return-glotip = Questionnaire GLOTIP de l’ONUDC
report-return-eurostat = Traite des êtres humains, Eurostat (crim_thb)
report-format-csv = CSV
report-format-xlsx = XLSX
report-format-sdmx1 = SDMX-CSV 1.0
report-format-sdmx2 = SDMX-CSV 2.0
report-format-dhis2 = JSON DHIS2
reports-returns-note = Les questionnaires comptent des fiches, dans la langue du rapport ; le fichier DHIS2 utilise des identifiants formés à partir des codes (identifiants propres au déploiement : tessera report dhis2 --mapping).
reports-sentences = Phrases du rapport
reports-sentences-help = Modifiez une phrase et enregistrez-la ; rétablissez-la pour revenir à la phrase générée à partir des chiffres. Texte simple uniquement, 2 000 caractères au plus. Chaque modification est inscrite au journal d’audit.
reports-stale = Ces phrases modifiées ne figurent plus dans le rapport (ses chapitres ou le plan d’action ont changé). Elles ne sont pas imprimées ; supprimez-les ou gardez-les pour un prochain rapport.
reports-remove = Supprimer
reports-edited = Modifiée
reports-edited-by = Modifiée par { $by } le { $at }.
reports-outdated = Les chiffres ont changé depuis la modification de cette phrase : la phrase générée n’est plus la même. Vérifiez le texte modifié.
reports-generated = Générée à partir des chiffres :
reports-save = Enregistrer
reports-reset = Rétablir la phrase générée
reports-preview = Aperçu
reports-preview-help = Les phrases modifiées sont signalées.
reports-preview-open = Ouvrir l’aperçu seul
reports-cutoff = Arrêt des données :
report-sentence-label = Phrase { $n }
report-bad-year = « { $value } » n’est pas une année (de 1900 à 2100).
report-bad-lang = « { $value } » n’est pas une langue du rapport (en ou fr).
report-bad-format = « { $value } » n’est pas un format proposé ici.
report-bad-kind = « { $value } » n’est pas un questionnaire proposé ici (glotip ou eurostat).
report-edit-empty = La phrase est vide. Pour revenir à la phrase générée, rétablissez-la.
report-edit-too-long = La phrase compte { $len } caractères ; { $max } au plus sont admis.
report-edit-control = La phrase contient un caractère de contrôle (caractère { $at }) ; écrivez du texte simple uniquement.
report-edit-unknown = Ce rapport n’a pas de phrase « { $id } ».
done-report-saved = La phrase est enregistrée ; le rapport l’imprime désormais.
done-report-reset = La phrase générée est rétablie.
done-report-unchanged = Rien n’a changé.
# Pagination (toute liste qui peut grandir)
pager-label = Pages
page-first = Première
page-prev = Précédente
page-next = Suivante
page-last = Dernière
page-of = Page { $page } sur { $pages }
rows-range = lignes { $from } à { $to } sur { $total }
rows-shown = { $shown } affichées
rows-shown-of = { $shown } affichées sur { $total }
status-all = Toutes
# Accueil d'un fournisseur (points focaux et lecteurs)
work-heading = Votre travail
work-not-started = Pas commencée
work-state-returned = Renvoyée : à corriger
work-state-overdue = { $days ->
    [one] Un jour de retard
   *[other] { $days } jours de retard
}
work-state-left = { $days ->
    [0] Échéance aujourd’hui
    [one] Un jour restant
   *[other] { $days } jours restants
}
work-state-sent-late = { $days ->
    [one] Envoyée avec un jour de retard
   *[other] Envoyée avec { $days } jours de retard
}
work-state-sent-ontime = Envoyée à temps
work-cta-returned = Votre transmission { $period } a été renvoyée : corrigez-la et soumettez-la à nouveau
work-cta-returned-text = Le commentaire du coordonnateur ci-dessous indique quoi corriger. Téléversez le fichier corrigé (les fiches gardent leur référence et sont remplacées), puis ouvrez la transmission et soumettez-la.
work-upload-corrected = Téléverser un fichier corrigé
work-open-submission = Ouvrir la transmission
work-cta-draft = { $records ->
    [one] Vos données { $period } sont prêtes à soumettre (une fiche)
   *[other] Vos données { $period } sont prêtes à soumettre ({ $records } fiches)
}
work-cta-draft-text = Vérifiez les fiches, puis soumettez-les au coordonnateur national.
work-review-submit = Vérifier et soumettre
work-cta-due = Envoyez vos données { $period } avant le { $due }
work-upload = Téléverser un fichier
work-enter = Saisir une fiche
work-cta-done = Rien n’est attendu pour l’instant
work-cta-done-text = Toutes les périodes ouvertes ont été envoyées. Merci.
work-returned-heading = Renvoyées vers vous
work-returned-by = Renvoyée par { $by } le { $at } :
work-returned-todo = Corrigez les fiches, téléversez-les à nouveau, puis soumettez la transmission.
work-periods-heading = Périodes de rapport
work-col-due = Échéance
work-col-deadline = Délai
work-col-records = Fiches
work-col-action = Suite
work-open = Ouvrir
work-no-periods = Aucune période de rapport n’attend de données de votre organisation pour l’instant.
work-uploads-heading = Derniers téléversements
work-upload-stored = { $rows ->
    [one] { $rows } ligne lue
   *[other] { $rows } lignes lues
} : { $inserted ->
    [one] { $inserted } nouvelle
   *[other] { $inserted } nouvelles
}, { $updated ->
    [one] { $updated } mise à jour
   *[other] { $updated } mises à jour
}, { $unchanged ->
    [one] { $unchanged } inchangée
   *[other] { $unchanged } inchangées
}.
work-upload-refused = { $errors ->
    [one] Refusé : un problème à corriger. Rien n’a été enregistré.
   *[other] Refusé : { $errors } problèmes à corriger. Rien n’a été enregistré.
}
work-upload-notes = Ce que la lecture a réparé
work-no-uploads = Rien n’a encore été téléversé.
upload-unchanged = { $unchanged ->
    [one] Une fiche renvoyée sans changement a été laissée telle quelle.
   *[other] { $unchanged } fiches renvoyées sans changement ont été laissées telles quelles.
}
list-filter = Tapez pour filtrer la liste
# Page d'examen d'une transmission
review-entity-count = { $entity } : { $n }
review-timeliness = Ponctualité
review-first-ontime = Soumise pour la première fois le { $date }, à temps.
review-first-late = Soumise pour la première fois le { $date }, { $days ->
    [one] avec un jour de retard.
   *[other] avec { $days } jours de retard.
}
review-returned-heading = Renvoyée : ce qu’il faut corriger
review-quality-heading = Qualité des données au regard des périodes précédentes
review-quality-first = Aucune période antérieure de ce fournisseur ne contient de fiches : rien à comparer pour l’instant.
review-quality-compared = Comparée aux périodes { $periods } du fournisseur. Sont signalés les effectifs qui font plus que doubler ou diminuent de plus de moitié, et les variables renseignées pour 20 points de fiches en moins.
review-no-flags = Rien d’inhabituel au regard des périodes précédentes.
review-flag-count = { $entity } : { $now } fiches sur la période, contre { $before } en moyenne auparavant.
review-flag-completeness = { $entity } — { $variable } : renseignée pour { $now } % des fiches, contre { $before } % auparavant.
review-count-now = Cette période
review-count-before = Périodes précédentes (moyenne)
review-diff-heading = Changements depuis la version précédente
review-diff-summary = Par rapport à la version { $version } : { $added } ajoutées, { $changed } modifiées, { $kept } conservées telles quelles.
review-diff-previous = Voir la version précédente
review-diff-added = Fiches ajoutées
review-diff-changed = Fiches modifiées, et ce qui a changé
review-diff-more = Seules les 200 premières sont listées.
review-decide-heading = Votre décision
review-approve-help = Valider verrouille la transmission : ses fiches comptent dans tous les chiffres, et les corrections passent ensuite par une nouvelle version.
review-records-heading = Fiches de cette transmission
review-done-approve = La transmission est validée.
review-done-return = La transmission est renvoyée à son fournisseur avec votre commentaire.
review-done-submit = La transmission est envoyée au coordonnateur national.
review-bad-decision = La décision doit être de valider ou de renvoyer la transmission.
confirm-title = Confirmez votre décision
confirm-approve-question = Valider la transmission { $id } de { $provider } pour { $period } (version { $version }) ?
confirm-return-question = Renvoyer la transmission { $id } de { $provider } pour { $period } (version { $version }) à son fournisseur ?
confirm-facts = { $records ->
    [one] Elle contient { $records } fiche
   *[other] Elle contient { $records } fiches
} ; { $flags ->
    [0] aucun signalement de qualité.
    [one] un signalement de qualité.
   *[other] { $flags } signalements de qualité.
}
confirm-comment = Avec ce commentaire :
confirm-approve-consequence = Une fois validée, la transmission est verrouillée et compte dans tous les chiffres ; les corrections passent par une nouvelle version.
confirm-return-consequence = Le point focal voit votre commentaire sur sa page d’accueil et peut corriger puis soumettre à nouveau.
confirm-approve-button = Oui, valider
confirm-return-button = Oui, la renvoyer
confirm-cancel = Retour à la transmission
# Examen du couplage : ordre, filtres, touches
linkage-order = Triées selon ce qu’un verdict changerait : d’abord les paires les plus proches du seuil de décision et dont le verdict déplacerait le plus de fiches entre personnes.
linkage-any = Tous
linkage-clear = Effacer les filtres
linkage-band-option = de { $low } % à { $high } %
linkage-matching = { $count ->
    [0] Aucune paire ne correspond à ces filtres.
    [one] { $count } paire correspond.
   *[other] { $count } paires correspondent.
}
linkage-impact-split = { $records ->
    [one] « différentes » déplacerait { $records } fiche
   *[other] « différentes » séparerait { $records } fiches
}
linkage-impact-merge = { $records ->
    [one] « même personne » réunirait { $records } fiche
   *[other] « même personne » réunirait { $records } fiches
}
linkage-keys = Touches :
linkage-key-next = paire suivante
linkage-key-prev = paire précédente
api-unauthorised = Connectez-vous, ou envoyez un jeton d’API : Authorization: Bearer tsr_…
api-token-refused = Le jeton d’API est inconnu, révoqué, ou son utilisateur est désactivé ; envoyez Authorization: Bearer tsr_…
api-password-change = Changez votre mot de passe sur la page /account/password avant d’utiliser l’API avec cette session.
api-no-route = Cette route de l’API n’existe pas ; les routes sont listées dans /api/v1/openapi.json.
api-method = Cette route de l’API ne prend pas cette méthode ; les routes et leurs méthodes sont listées dans /api/v1/openapi.json.
import-notes = Ce que la lecture a fait
api-refused = Rien n’a été enregistré : { $problems } problème(s) dans { $rows } ligne(s) lue(s).

# Issue 19: figures that state what they count, error pages, the language switch
dash-counts-records = Compte les fiches approuvées.
dash-counts-persons = Compte les personnes uniques des fiches approuvées : chaque personne une fois, avec les valeurs de sa fiche la plus ancienne qui en donne une.
dash-counts-multi = Une fiche ou une personne peut avoir plusieurs valeurs ici, et compte alors dans plusieurs lignes : les lignes totalisent plus que le total.
dash-migrant-persons = Migrants objets de trafic uniques (après couplage)
dash-migrants-reported = Migrants déclarés dans les fiches d’incidents
dash-migrants-reported-detail = Le nombre de migrants que donne chaque fiche d’incident, additionné : un migrant compte une fois par incident, quel que soit celui qui l’a enregistré.
dash-incidents-detail = Fiches d’incidents approuvées ; les chiffres de migrants ci-dessous sont des fiches de migrants, que les graphiques par sexe et par âge ventilent.
mse-interval = Intervalle à 95 % : de { $low } à { $high }
mse-detail = { $observed } victimes sur les listes (observées) ; modèle : { $model }
mse-chart-title = Victimes cachées : estimations et observé
mse-chart-observed = Observées sur les listes
mse-chart-estimate = Estimation
mse-chart-low = basse
mse-chart-high = haute
error-400-title = Demande refusée
error-400-text = La page n’a pas pu utiliser ce qui a été envoyé. Vérifiez l’adresse ou le formulaire, puis réessayez.
error-403-title = Hors de votre rôle
error-403-text = Cette page ne fait pas partie du travail de votre rôle ; le menu indique ce que vous pouvez ouvrir.
error-404-title = Page introuvable
error-404-text = Il n’y a rien à cette adresse, ou ce n’est pas à vous de le voir.
error-409-title = Déjà modifié
error-409-text = Ceci a été modifié entre-temps, ou son état ne le permet pas. Rechargez la page pour voir où il en est.
error-500-title = Une erreur est survenue
error-500-text = Le serveur n’a pas pu traiter cette demande. L’erreur a été journalisée ; réessayez dans un instant.
error-csrf = Le formulaire a expiré ou vient d’un autre site : revenez en arrière, rechargez la page et renvoyez-le.
error-back = Retour à la page précédente
error-home = Page d’accueil
error-status = Code d’erreur
home-approved-note = Fiches approuvées seulement, comme les comptent les tableaux de bord : les soumissions en attente d’examen n’y sont pas.
mse-model = Modèle

# Aide (/help) : le manuel, le recueil, les procédures
help = Aide
help-contents = Sommaire de l’aide
help-manual = Manuel d’utilisation
help-handbook = Recueil des définitions
help-sop = Procédures opérationnelles
help-mou = Accord de partage de données
help-security = Sécurité
mse-other-lists = Autres listes (regroupées)
dash-counts-medians = Médianes sur les affaires approuvées qui ont les deux dates.
# Saisie : sections, brouillons, contrôles au fil de la saisie
entry-section-required = Obligatoire pour toute fiche
entry-section-details = Précisions
entry-section-identifiers = Identifiants
entry-identifiers-note = Ces champs sont transformés en pseudonymes à l’enregistrement de la fiche. Ils ne sont jamais conservés dans un brouillon.
entry-save-draft = Enregistrer comme brouillon
entry-discard-draft = Abandonner le brouillon
entry-draft-note = Un brouillon garde le formulaire sur le serveur pour le terminer plus tard, sans ses identifiants ; enregistrer la fiche le supprime.
entry-draft-saved = { $dropped ->
    [0] Brouillon enregistré. Revenez à ce formulaire pour le terminer.
    [one] Brouillon enregistré, sans l’identifiant saisi : saisissez-le à nouveau en enregistrant la fiche.
   *[other] Brouillon enregistré, sans les { $dropped } identifiants saisis : saisissez-les à nouveau en enregistrant la fiche.
}
entry-draft-restored = Votre brouillon du { $at } est de retour dans le formulaire. Les identifiants ne sont pas conservés dans les brouillons : saisissez-les à nouveau.
entry-draft-discarded = Le brouillon est abandonné.
