app-title = Tessera
app-tagline = National data on trafficking in persons and smuggling of migrants
language-name = English
language = Language
menu = Menu
skip-to-content = Skip to content
dictionary-version = Data dictionary { $version }
nav-home = Home
nav-records = Records
nav-upload = Upload
nav-submissions = Submissions
nav-review = Review queue
nav-timeliness = Timeliness
nav-providers = Providers
nav-users = Users
nav-audit = Audit log
nav-account = My account
sign-in = Sign in
sign-out = Sign out
username = Username
password = Password
display-name = Name
login-failed = Wrong username or password.
login-throttled = Too many failed attempts from here: wait { $seconds ->
    [one] one second
   *[other] { $seconds } seconds
} and try again.
second-factor = Second factor
second-factor-help = Enter the 6-digit code your authenticator app shows for Tessera.
code = Code
code-failed = This code is not right. Check the time on your phone and try again.
confirm = Confirm
role = Role
role-admin = System administrator
role-coordinator = National coordinator
role-analyst = Analyst
role-focal_point = Focal point
role-viewer = Provider viewer
role-partner = Partner
providers-heading = Data providers
providers-intro = { $count ->
    [one] One provider reports
   *[other] { $count } providers report
} under data-sharing agreements. Counts are records received, before linkage counts each person once.
partner-intro = National totals of records received, all providers together. Counts under 5 are not shown.
national-totals = National totals
col-provider = Provider
col-id = Identifier
col-type = Type
col-region = Region
col-total = Total records
col-submissions = Submissions
col-period = Period
col-version = Version
col-status = Status
col-submitted = Submitted on
col-reference = Reference
col-row = Row
col-column = Column
col-problem = Problem
col-suggestion = Suggestion
total-row = All providers
entity-victim = Victims
entity-suspect = Suspects
entity-cj_case = Criminal-justice cases
entity-smuggled_migrant = Smuggled migrants
entity-smuggling_incident = Smuggling incidents
entity-assistance = Assistance
entity-person_case_link = Person–case links
entities = Kinds of record
entity = Kind of record
no-providers = No provider is registered yet: administrators and coordinators register them on the Providers page (or with tessera provider add).
none = None yet.
agreements = Data-sharing agreements
agreement-entities = Shares
agreement-level = Level
level-case = Case level (pseudonymised)
level-aggregate = Aggregates only
valid-from = Valid from
valid-to = Valid until
signed-on = Signed on
focal-points = Focal points and viewers
status-draft = Draft
status-submitted = Submitted
status-approved = Approved
status-returned = Returned
submission = Submission
records-in-submission = Records in this submission
submit-help = Submitting sends this version to the national coordinator. You can no longer change it unless it is returned.
action-submit = Submit for approval
action-approve = Approve
action-return = Return to provider
return-comment = Why is it returned? (required to return)
return-needs-comment = Say why the submission is returned: the focal point needs to know what to fix.
history = History
review-intro = Submissions waiting for your decision. Open one to approve it or return it with a comment.
timeliness-intro = Each provider's submission per period against the due date, counted from the first time the period was submitted: a correction sent later does not make it late.
timeliness-missing = Nothing received
timeliness-late = { $days ->
    [one] One day late
   *[other] { $days } days late
}
timeliness-ontime = On time
next-page = Next page
new-record = New record
variable = Variable
value = Value
identifiers-note = Names, birth dates, identity and phone numbers are never stored: they were turned into keyed pseudonyms when the record arrived.
earlier-versions = Earlier versions
yes = Yes
no = No
upload-intro = Fill in your provider's template (or download one below), then upload it here. The whole file is checked: if anything is wrong, nothing is stored and every problem is listed with its row and column.
template-xlsx = Excel template (all kinds of record)
file = File
upload-button = Check and upload
upload-incomplete = Choose a kind of record, a period and a file.
upload-stored = Stored for { $period }: { $inserted } new, { $updated } updated. The submission stays a draft until you submit it.
upload-refused = { $errors ->
    [one] one problem was found
   *[other] { $errors } problems were found
}; nothing was stored. Fix the file and upload it again.
report-caption = Problems found, row by row
report-truncated = Only the first 500 problems are shown.
see-submission = See the submission and submit it for approval
rows-stored = { $count ->
    [one] One record stored.
   *[other] { $count } records stored.
}
entry-intro = Fields marked * are required. Names and identity numbers are turned into pseudonyms as soon as you save; they are never stored.
entry-stored = Saved in submission { $submission } ({ $inserted } new, { $updated } updated, { $unchanged } unchanged). You can enter the next record.
save-record = Save record
pseudonymised = pseudonymised
audit-intact = The chain of { $count } entries is intact.
audit-broken = The chain is broken at entry { $seq }: { $reason }
audit-tampered = The audit log fails verification. { $reason }
audit-at = When
audit-actor = Who
audit-action = Action
audit-object = Object
audit-detail = Detail
audit-hash = Hash
filter = Filter
actions = Actions
active = Active
disabled = Disabled
temporary-password = Temporary password (12 characters or more)
action-reset = Reset password
action-disable = Disable
action-enable = Enable
action-token = Issue an API token
action-revoke = Revoke tokens with this label
action-create = Create
token-label = Token label
new-user = New user
user-created = User { $username } created. Tell them to keep their password private.
user-reset = The password of { $username } was reset; they will choose a new one when they sign in.
user-disabled = { $username } is disabled and signed out everywhere.
user-enabled = { $username } is enabled again.
user-self = You cannot disable your own account.
token-created = API token for { $username } (shown once; store it safely): { $token }
token-revoked = { $count } token(s) revoked.
change-password = Change password
current-password = Current password
new-password = New password (12 characters or more)
repeat-password = New password again
must-change-password = An administrator reset your password: choose a new one to continue.
password-wrong = The current password is not right.
password-mismatch = The two new passwords differ.
password-same = The new password must differ from the current one.
save = Save
totp-off = No second factor is set. With one, a stolen password alone cannot open your account.
totp-on = A second factor protects your account. To remove it, enter a current code.
totp-start = Set up a second factor
totp-enrol-help = Add this key to an authenticator app (or open the link on your phone), then enter the code it shows.
totp-enrolled = The second factor is set: you will be asked for a code at each sign-in.
totp-remove = Remove the second factor
totp-removed = The second factor is removed.
nav-dashboard = Dashboards
dash-views = Dashboards
dash-victims = Victims
dash-flows = Flows
dash-funnel = Criminal justice
dash-smuggling = Smuggling of migrants
dash-quality = Data quality
dash-nap = National Action Plan
dash-note = Approved submissions only, counted as records received (before linkage counts each person once).
dash-year-from = From year
dash-year-to = To year
dash-sex = Sex
dash-expr = Condition
dash-table = Table
dash-csv = Download the table (CSV)
dash-suppressed = Cells marked c are suppressed: too small to publish without risk of identifying someone.
dash-incidents = Smuggling incident records
dash-migrants = Smuggled-migrant records
dash-deaths = Deaths
dash-injuries = Injuries
dash-estimate = Hidden victims (MSE)
dash-unit = Count
dash-unit-records = records
dash-unit-persons = unique persons
dash-note-persons = Approved submissions only, counted as unique persons: records of the same person from several providers count once (linkage on pseudonyms).
dash-victim-records = Victim records
dash-victim-persons = Unique victims (after linkage)
dash-persons-range = The linkage model expects { $expected } (95% range { $low } to { $high }) from its match probabilities; the figure counts the persons its links make.
mse-stepwise = Estimated victims, stepwise model (Home Office)
mse-min-bic = Estimated victims, minimum-BIC model
mse-observed = observed
mse-warning = Caveat
nav-linkage = Linkage review
linkage-intro = Pairs of records the linkage is unsure of. Each field shows how the two records compare and how much that weighs for (+) or against (−) one person, in bits. Names are never shown: they are not stored. Your verdict is remembered, recorded in the audit log and applied to every count of persons.
linkage-summary = { $pending } pairs await review; { $decided } verdicts applied.
linkage-band = Pairs with a match probability between { $low } % and { $high } % come here.
linkage-entity = Records of
linkage-records = Records
linkage-persons = Persons
linkage-queue = Pairs to review
linkage-none = No pair awaits review.
linkage-probability = Match probability
linkage-linked = counted as one person now
linkage-not-linked = counted as two persons now
linkage-field = Field
linkage-comparison = Comparison
linkage-weight = Weight (bits)
linkage-same = Same person
linkage-different = Different persons
linkage-verdicts = Verdicts
linkage-pair = Records
linkage-verdict = Verdict
linkage-bad-verdict = The verdict must be "same person" or "different persons".
field-name = Name
field-birth_date = Date of birth
field-id_number = Identity number
field-phone = Phone
field-sex = Sex
field-citizenship = Citizenship
field-address = Residence
level-missing = no evidence (missing on a side, or not weighed)
level-name-6 = same full name
level-name-5 = same family name, given name one typo apart
level-name-4 = same given name, family name one typo apart
level-name-3 = names spelt alike
level-name-2 = one name the same, the other different
level-name-1 = names somewhat alike
level-name-0 = names different
level-birth_date-6 = same date
level-birth_date-5 = day and month swapped
level-birth_date-4 = same year and month
level-birth_date-3 = same year (one side knows only the year)
level-birth_date-2 = same year, another month
level-birth_date-1 = one year apart
level-birth_date-0 = different
level-id_number-1 = same
level-id_number-0 = different
level-phone-1 = same
level-phone-0 = different
level-sex-1 = same
level-sex-0 = different
level-citizenship-1 = same
level-citizenship-0 = different
level-birth_date-7 = same day and month, another year
level-name-7 = names sound alike, spelt otherwise
level-birth_date-8 = known on one side only
level-birth_date-9 = unknown on both sides
level-birth_date-10 = years of birth two apart
level-sex-2 = different (names alike)
level-sex-3 = same (names alike)
level-citizenship-2 = different (names alike)
level-citizenship-3 = same (names alike)
level-address-3 = same street address
level-address-2 = same postcode and place
level-address-1 = same postcode or place, not both
level-address-0 = nothing in common
drill-title = Records behind the figure
drill-filter = Filter:
drill-more = more records match; the first 500 are listed
drill-back = Back to the dashboard
drill-view = Filter the dashboard on this row
drill-records = See the records
encode-here = Pseudonymise in this browser before sending (CSV files): names, birth dates and identity numbers never leave this computer
encode-xlsx = Pseudonymisation in the browser reads CSV files: save the workbook as CSV (or use tessera pseudonymise) and choose it again. Nothing was sent.
encode-working = Pseudonymising in this browser…
encode-bad-date = the birth date is not a date (YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY). Nothing was sent.
encode-failed = Pseudonymisation in this browser failed; nothing was sent:
encode-stale = this page's encoder is not the server's (Tessera was updated): reload the page and try again.
# Registry, agreements, calendar, first run (registry.rs)
nav-periods = Reporting calendar
field-too-long = { $field }: at most { $max } characters.
bad-day = { $field }: “{ $value }” is not a day written YYYY-MM-DD.
provider-name = Name
provider-name-in = Name ({ $language }), if different
provider-name-required = A provider needs a name.
provider-contact = Contact of the focal point
provider-id-help = 2 to 63 characters among a–z, 0–9 and -, e.g. police-bangui. It cannot be changed later.
provider-id-fixed = A provider’s identifier cannot be changed.
provider-ngo = Non-governmental organisation (not a public institution)
provider-ngo-short = NGO
provider-add = Register a provider
provider-register = Register
provider-import = Register a whole list
provider-import-help = A CSV or Excel list with one provider per row: columns id, name and type are required; region, ngo (yes/no), contact and name_fr, name_en are optional. Every cell is checked: if one is wrong nothing is registered, and each problem is listed with its row and column.
provider-import-button = Check and register the list
provider-edit = Change this provider
provider-retire = Retire this provider
provider-retire-help = A retired provider keeps its records and history but sends nothing new. Its focal points can still sign in and read.
provider-retire-confirm = Yes, retire this provider
provider-retired-on = Retired on { $date }
registry-empty = No provider is registered yet.
retire-on = From
import-no-file = Choose the list to register.
import-unreadable = The list could not be read.
providers-imported = { $count ->
    [one] One provider registered
   *[other] { $count } providers registered
} from { $file }.
providers-import-refused = { $file }: { $errors ->
    [one] one problem was found
   *[other] { $errors } problems were found
}; nothing was registered. Correct the list and send it again.
agreement-number = No.
agreement-document = Signed document
agreement-document-pdf = Signed document (PDF)
agreement-download = Download
agreement-none = No agreement is recorded: this provider cannot send data until one is.
agreement-add = Record an agreement
agreement-record = Record the agreement
agreement-end = End this agreement
agreement-end-confirm = Yes, end it: the provider sends nothing it covered from that day
agreement-no-entity = Tick at least one kind of record the agreement covers.
agreement-not-pdf = The signed document must be a PDF file.
agreement-already-ended = This agreement already ended on { $date }.
agreement-in-force = In force
agreement-ended-on = Ended on { $date }
agreement-not-yet = Not in force before { $date }
agreement-expired = Expired on { $date }
signatories = Signatories
end-on = From
confirm-needed = Tick the confirmation box to go ahead.
periods-intro = Reporting periods: when each one runs, when submissions are due, and which types of provider report in it. A closed period takes no new submissions.
periods-none = No reporting period is open yet.
period-start = First day
period-end = Last day
period-due = Due on
period-types = Who reports
period-types-help = Leave every box empty for all types of provider.
period-all-types = All types
period-open = Open
period-open-past-due = Open, past due
period-closed-on = Closed on { $date }
period-close = Close
close-on = From
period-add = Open or change a period
period-add-help = Annual (2025), quarterly (2025-Q1) or monthly (2025-01). Opening a period that exists changes its dates.
period-open-button = Open the period
period-id-invalid = A period needs an identifier of 1 to { $max } characters, e.g. 2025 or 2025-Q1.
period-due-before-end = Submissions cannot be due ({ $due }) before the period ends ({ $end }).
period-already-closed = This period was already closed on { $date }.
done-provider-registered = The provider is registered. Record its data-sharing agreement below: it cannot send data without one.
done-provider-changed = The changes are saved.
done-provider-retired = The provider is retired; its records stay.
done-agreement-added = The agreement is recorded.
done-agreement-ended = The agreement is ended.
done-period-opened = The period is open.
done-period-closed = The period is closed.
setup-heading = Setting up Tessera
setup-intro = Before the first data arrive, the coordination body registers its data providers, records each one’s data-sharing agreement, opens a reporting period and gives each provider a focal point account. Each step can be done on these pages or with the command shown.
setup-progress = { $done } of { $count } steps done
setup-see-steps = Set-up steps
setup-done = Done
setup-todo = To do
setup-missing = Still missing for:
setup-cli = Or on the server:
setup-extension = Country extension of the data dictionary
setup-extension-loaded = Loaded: { $name } ({ $id }, country { $country }), with its regions and national codes.
setup-extension-none = None is loaded: the base dictionary only, without the country’s regions.
setup-extension-note = It is chosen when the database is created (tessera init --extension); the web application cannot change it.
setup-providers = Data providers
setup-providers-status = { $count ->
    [0] No provider is registered.
    [one] One provider is registered.
   *[other] { $count } providers are registered.
}
setup-providers-link = Register providers
setup-after-providers = None yet: register the providers first.
setup-agreements = Data-sharing agreements
setup-agreements-status = { $with } of { $count } providers have an agreement in force.
setup-agreements-link = Record an agreement
setup-periods = Reporting calendar
setup-periods-none = No reporting period is open.
setup-periods-status = Open: { $ids }.
setup-periods-link = Open a period
setup-focal-points = Focal point accounts
setup-focal-points-status = { $with } of { $count } providers have a focal point account.
setup-focal-points-link = Create accounts
setup-focal-points-admin = The system administrator creates the accounts.

# National Action Plan page (/nap)
nav-nap = Action plan
nap-title = National Action Plan: baselines and targets
nap-none = No National Action Plan is loaded. Load one with this command (the format of config/nap/); its indicators then appear here.
nap-intro-edit = Every indicator of the plan, by pillar, with its baseline and targets. Change them under each indicator; for indicators measured from activity records, enter each year's figure. Every change is recorded in the audit log.
nap-intro-read = Every indicator of the plan, by pillar, with its baseline and targets, as the coordination body set them.
nap-dashboard-link = Progress and status of each indicator are on the dashboard.
nap-edit-link = Baselines, targets and figures entered by hand
nap-plan = Plan
nap-pillars = Pillars
nap-pillar-prevention = Prevention
nap-pillar-protection = Protection
nap-pillar-prosecution = Prosecution
nap-pillar-partnership = Partnership
nap-measure = Measure
nap-measure-count = Number of records
nap-measure-share = Share of records
nap-measure-sum = Sum
nap-measure-median = Median
nap-measure-on_time_share = Providers submitting on time
nap-measure-providers_reporting = Providers with approved data
nap-measure-entered = Entered by hand from activity records
nap-counted = Counted
nap-where = where
nap-among = among those where
nap-direction = Direction of improvement
nap-direction-increase = Increase
nap-direction-decrease = Decrease
nap-baseline = Baseline
nap-baseline-in = { $year }: { $value }
nap-baseline-value = Baseline value
nap-baseline-from-data = from the approved data of that year
nap-baseline-from-figure = the figure entered for that year
nap-baseline-help = Leave the value empty to take the baseline from the approved data of the baseline year.
nap-baseline-help-entered = Leave the value empty to take the figure entered for the baseline year.
nap-targets = Targets
nap-target = Target
nap-year = Year
nap-no-targets = No target set.
nap-edit = Change the baseline and targets
nap-edit-help = Change a year or a value; empty a value to remove that year's target; fill an empty row to add a year. No target can come before the baseline year.
nap-save-targets = Save the baseline and targets
nap-figures = Figures entered by hand
nap-figures-help = From activity records (training registers, reports, agreements signed): enter a year's figure and where it comes from; clear it to remove it.
nap-figure = Figure
nap-figure-for = Figure for { $year }
nap-note = Source
nap-note-for = Source of the figure for { $year }
nap-entered-by = Entered by
nap-save-figure = Save
nap-clear-figure = Clear
nap-value-missing = Enter a figure, or clear the year's figure to remove it.
nap-conflict = The plan was being changed by someone else at the same moment; reload the page and try again.
done-nap-targets = The baseline and targets are saved.
done-nap-unchanged = Nothing changed.
done-nap-figure = The figure is saved.
done-nap-cleared = The figure is removed.
# Reports page (/reports)
nav-reports = Reports
reports-title = Annual report and international returns
reports-intro = The annual country report and the international returns, built from approved data only, with the deployment's disclosure control. Every sentence of the report is generated from the figures: read it, edit it if needed, then download the report. The command tessera report annual writes the same report, edits included.
reports-year = Reference year
reports-language = Language of the report
report-lang-en = English
report-lang-fr = French
reports-show = Show
reports-downloads = Downloads
reports-annual = Annual country report
report-download-html = HTML
report-download-pdf = PDF
report-download-docx = DOCX (Word)
reports-edited-count = { $n ->
    [0] No sentence edited by hand: every sentence is generated from the figures.
    [one] One sentence edited by hand; the report says so.
   *[other] { $n } sentences edited by hand; the report says so.
}
report-return-glotip = UNODC GLOTIP questionnaire
report-return-eurostat = Eurostat trafficking in human beings (crim_thb)
report-format-csv = CSV
report-format-xlsx = XLSX
report-format-sdmx1 = SDMX-CSV 1.0
report-format-sdmx2 = SDMX-CSV 2.0
report-format-dhis2 = DHIS2 JSON
reports-returns-note = Returns count records, in the report's language; the DHIS2 file uses ids made from the codes (a deployment's own ids: tessera report dhis2 --mapping).
reports-sentences = Sentences of the report
reports-sentences-help = Change a sentence and save it; reset it to go back to the sentence generated from the figures. Plain text only, at most 2,000 characters. Every change is recorded in the audit log.
reports-stale = These edited sentences are no longer in the report (its chapters or the action plan changed). They are not printed; remove them or keep them for a later report.
reports-remove = Remove
reports-edited = Edited
reports-edited-by = Edited by { $by } on { $at }.
reports-outdated = The figures changed since this sentence was edited: the generated sentence now reads differently. Check the edited text.
reports-generated = Generated from the figures:
reports-save = Save
reports-reset = Reset to generated
reports-preview = Preview
reports-preview-help = Edited sentences are marked.
reports-preview-open = Open the preview on its own
reports-cutoff = Data cut-off:
report-sentence-label = Sentence { $n }
report-bad-year = "{ $value }" is not a year (1900 to 2100).
report-bad-lang = "{ $value }" is not a language of the report (en or fr).
report-bad-format = "{ $value }" is not a format offered here.
report-bad-kind = "{ $value }" is not a return offered here (glotip or eurostat).
report-edit-empty = The sentence is empty. To go back to the generated sentence, reset it.
report-edit-too-long = The sentence has { $len } characters; at most { $max } are allowed.
report-edit-control = The sentence holds a control character (character { $at }); write plain text only.
report-edit-unknown = This report has no sentence "{ $id }".
done-report-saved = The sentence is saved; the report now prints it.
done-report-reset = The generated sentence is back.
done-report-unchanged = Nothing changed.
# Paging (every list that can grow)
pager-label = Pages
page-first = First
page-prev = Previous
page-next = Next
page-last = Last
page-of = Page { $page } of { $pages }
rows-range = rows { $from }–{ $to } of { $total }
rows-shown = { $shown } shown
rows-shown-of = { $shown } shown of { $total }
status-all = All
# A provider's home page (focal points and viewers)
work-heading = Your work
work-not-started = Not started
work-state-returned = Returned: to correct
work-state-overdue = { $days ->
    [one] One day overdue
   *[other] { $days } days overdue
}
work-state-left = { $days ->
    [0] Due today
    [one] One day left
   *[other] { $days } days left
}
work-state-sent-late = { $days ->
    [one] Sent one day late
   *[other] Sent { $days } days late
}
work-state-sent-ontime = Sent on time
work-cta-returned = Your { $period } submission was returned: correct it and submit it again
work-cta-returned-text = The coordinator's comment below says what to fix. Upload the corrected file (records keep their reference and are replaced), then open the submission and submit it.
work-upload-corrected = Upload a corrected file
work-open-submission = Open the submission
work-cta-draft = { $records ->
    [one] Your { $period } data is ready to submit (one record)
   *[other] Your { $period } data is ready to submit ({ $records } records)
}
work-cta-draft-text = Check the records, then submit them to the national coordinator.
work-review-submit = Check and submit
work-cta-due = Send your { $period } data by { $due }
work-upload = Upload a file
work-enter = Enter a record
work-cta-done = Nothing is due now
work-cta-done-text = Every open period has been sent. Thank you.
work-returned-heading = Returned to you
work-returned-by = Returned by { $by } on { $at }:
work-returned-todo = Correct the records, upload them again, then submit the submission.
work-periods-heading = Reporting periods
work-col-due = Due on
work-col-deadline = Deadline
work-col-records = Records
work-col-action = Next
work-open = Open
work-no-periods = No reporting period expects data from your organisation now.
work-uploads-heading = Last uploads
work-upload-stored = { $rows ->
    [one] One row read
   *[other] { $rows } rows read
}: { $inserted } new, { $updated } updated, { $unchanged } unchanged.
work-upload-refused = { $errors ->
    [one] Refused: one problem to fix. Nothing was stored.
   *[other] Refused: { $errors } problems to fix. Nothing was stored.
}
work-upload-notes = What reading repaired
work-no-uploads = Nothing uploaded yet.
upload-unchanged = { $unchanged ->
    [one] One record was sent again unchanged and left as it was.
   *[other] { $unchanged } records were sent again unchanged and left as they were.
}
list-filter = Type to filter the list
# A submission's review page
review-entity-count = { $entity }: { $n }
review-timeliness = Timeliness
review-first-ontime = First submitted on { $date }, on time.
review-first-late = First submitted on { $date }, { $days ->
    [one] one day late.
   *[other] { $days } days late.
}
review-returned-heading = Returned: what to fix
review-quality-heading = Data quality against previous periods
review-quality-first = No earlier period of this provider holds records: nothing to compare with yet.
review-quality-compared = Compared with the provider's periods { $periods }. Counts that more than double or halve, and variables recorded for 20 points fewer of the records, are flagged.
review-no-flags = Nothing stands out against the previous periods.
review-flag-count = { $entity }: { $now } records this period, against { $before } on average before.
review-flag-completeness = { $entity } — { $variable }: recorded for { $now } % of records, against { $before } % before.
review-count-now = This period
review-count-before = Previous periods (mean)
review-diff-heading = Changes since the previous version
review-diff-summary = Against version { $version }: { $added } added, { $changed } changed, { $kept } kept as they were.
review-diff-previous = See the previous version
review-diff-added = Records added
review-diff-changed = Records changed, and what changed
review-diff-more = Only the first 200 are listed.
review-decide-heading = Your decision
review-approve-help = Approving locks the submission: its records count in every figure, and corrections then go into a new version.
review-records-heading = Records of this submission
review-done-approve = The submission is approved.
review-done-return = The submission is returned to its provider with your comment.
review-done-submit = The submission is sent to the national coordinator.
review-bad-decision = The decision must be to approve or to return the submission.
confirm-title = Confirm your decision
confirm-approve-question = Approve submission { $id } of { $provider } for { $period } (version { $version })?
confirm-return-question = Return submission { $id } of { $provider } for { $period } (version { $version }) to its provider?
confirm-facts = { $records ->
    [one] It holds one record
   *[other] It holds { $records } records
}; { $flags ->
    [0] no data-quality flag.
    [one] one data-quality flag.
   *[other] { $flags } data-quality flags.
}
confirm-comment = With this comment:
confirm-approve-consequence = Once approved, the submission is locked and counts in every figure; corrections go into a new version.
confirm-return-consequence = The focal point sees your comment on their home page and can correct and submit again.
confirm-approve-button = Yes, approve
confirm-return-button = Yes, return it
confirm-cancel = Back to the submission
# Linkage review: order, filters, keys
linkage-order = Sorted by what a verdict would change: pairs closest to the decision threshold, and whose verdict would move the most records between persons, first.
linkage-any = Any
linkage-clear = Clear the filters
linkage-band-option = { $low } % to { $high } %
linkage-matching = { $count ->
    [0] No pair matches these filters.
    [one] One pair matches.
   *[other] { $count } pairs match.
}
linkage-impact-split = { $records ->
    [one] "different" would move one record
   *[other] "different" would split { $records } records
}
linkage-impact-merge = { $records ->
    [one] "same" would join one record
   *[other] "same" would join { $records } records
}
linkage-keys = Keys:
linkage-key-next = next pair
linkage-key-prev = previous pair
api-unauthorised = Sign in, or send an API token: Authorization: Bearer tsr_…
api-token-refused = The API token is unknown, revoked or its user is disabled; send Authorization: Bearer tsr_…
api-password-change = Change your password on the web page /account/password before using the API with this session.
api-no-route = There is no such API route; the routes are listed in /api/v1/openapi.json.
api-method = This API route does not take this method; the routes and their methods are listed in /api/v1/openapi.json.
import-notes = What reading did
api-refused = Nothing was stored: { $problems } problem(s) in { $rows } row(s) read.

# Issue 19: figures that state what they count, error pages, the language switch
dash-counts-records = Counts approved records.
dash-counts-persons = Counts unique persons in approved records: each person once, with the values of their earliest record that gives one.
dash-counts-multi = One record or person can have several values here, so it counts in several rows: the rows add up to more than the total.
dash-migrant-persons = Unique smuggled migrants (after linkage)
dash-migrants-reported = Migrants reported in incident records
dash-migrants-reported-detail = The number of migrants each incident record gives, added up: a migrant is counted once per incident, whoever recorded them.
dash-incidents-detail = Approved incident records; the migrants' figures below are smuggled-migrant records, which the charts by sex and age break down.
mse-interval = 95% interval: { $low } to { $high }
mse-detail = { $observed } victims on the lists (observed); model: { $model }
mse-chart-title = Hidden victims: estimates and observed
mse-chart-observed = Observed on the lists
mse-chart-estimate = Estimate
mse-chart-low = low
mse-chart-high = high
error-400-title = Request refused
error-400-text = The page could not use what was sent. Check the address or the form, and try again.
error-403-title = Not available to your role
error-403-text = This page is not part of your role's work; the menu lists what you can open.
error-404-title = Page not found
error-404-text = There is nothing at this address, or it is not yours to see.
error-409-title = Already changed
error-409-text = This was changed in the meantime, or its state does not allow this. Reload the page to see where it stands.
error-500-title = Something went wrong
error-500-text = The server could not complete this request. The error has been logged; try again in a moment.
error-csrf = The form expired or came from another site: go back, reload the page and send it again.
error-back = Back to the previous page
error-home = Home page
error-status = Error code
home-approved-note = Approved records only, as the dashboards count them: submissions awaiting review are not included.
mse-model = Model

# Help (/help): the manual, the handbook, the procedures
help = Help
help-contents = Contents of the help
help-manual = Users' manual
help-handbook = Handbook of definitions
help-sop = Operating procedures
help-mou = Data-sharing agreement
help-security = Security
mse-other-lists = Other lists (pooled)
dash-counts-medians = Medians over the approved cases with both dates.
# Data entry: sections, drafts, live checks
entry-section-required = Required for every record
entry-section-details = Details
entry-section-identifiers = Identifiers
entry-identifiers-note = These fields are turned into pseudonyms when the record is saved. They are never kept in a draft.
entry-save-draft = Save as draft
entry-discard-draft = Discard the draft
entry-draft-note = A draft keeps the form on the server to finish later, without its identifiers; saving the record removes it.
entry-draft-saved = { $dropped ->
    [0] Draft saved. Come back to this form to finish it.
    [one] Draft saved, without the one identifier you entered: enter it again when you save the record.
   *[other] Draft saved, without the { $dropped } identifiers you entered: enter them again when you save the record.
}
entry-draft-restored = Your draft of { $at } is back in the form. Identifiers are not kept in drafts: enter them again.
entry-draft-discarded = The draft is discarded.
