package fakegraph

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"
)

const (
	defaultUserName    = "Alex Wilber"
	defaultUserAddress = "AlexW@contoso.onmicrosoft.com"
	// MailboxZone is the zone of the generated mailbox's owner: the days of the generated
	// calendar are days in this zone.
	MailboxZone = "W. Europe Standard Time"
)

// Calendar generates a realistic calendar for the default user from a week before now to four
// weeks after it; the same now and seed give the same events. It holds daily stand-ups (one
// cancelled, one moved), weekly 1:1s and syncs stored in zones on three continents (with DST
// changes inside the range in spring and autumn), all-day and multi-day events, declined,
// tentative, unanswered and cancelled meetings, overlaps, an event across midnight, one across
// each of the next DST changes of Berlin and Los Angeles, subjects in several scripts and with
// emoji, and join links in onlineMeeting, only in the location, only in the body, wrapped in
// Safe Links, and next to dial-in and "learn more" links.
func Calendar(now time.Time, seed int64) []Event {
	return calendar(now, seed, defaultUserName, defaultUserAddress)
}

type person struct{ name, address string }

var colleagues = []person{
	{"Mei Tanaka", "mei.tanaka@contoso.com"},
	{"Megan Bowen", "MeganB@contoso.onmicrosoft.com"},
	{"Priya Raman", "priya.raman@contoso.in"},
	{"Aroha Ngata", "aroha.ngata@contoso.co.nz"},
	{"Jordan Müller", "jordan.mueller@contoso.de"},
	{"Søren Kierkegaard-Holm", "soren.holm@fabrikam.dk"},
	{"Олег Петров", "oleg.petrov@contoso.com"},
	{"Fatima Al-Sayed", "fatima.alsayed@contoso.ae"},
}

var adHocSubjects = []string{
	"Design sync", "Обзор архитектуры", "設計レビュー", "مراجعة الخطة", "Καφές με την ομάδα ☕",
	"회의: 제품 로드맵", "Déjeuner d'équipe 🥐", "🎉 Team lunch", "Сверка 📊 метрик", "Interview: backend engineer",
	"Incident review 🔥", "Roadmap deep-dive", "समीक्षा: Q3 लक्ष्य", "Hiring committee", "Security office hours 🔐",
}

type gen struct {
	rng    *rand.Rand
	events []Event
	me     person
	berlin *time.Location
}

func mustZone(name string) *time.Location {
	loc, err := LoadZone(name)
	if err != nil {
		panic("fakegraph: built-in zone table: " + err.Error()) // covered by TestZonesResolve
	}
	return loc
}

func calendar(now time.Time, seed int64, userName, userAddress string) []Event {
	if userName == "" {
		userName = defaultUserName
	}
	if userAddress == "" {
		userAddress = defaultUserAddress
	}
	g := &gen{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0xca17a7)),
		me:     person{userName, userAddress},
		berlin: mustZone(MailboxZone),
	}
	y, m, d := now.In(g.berlin).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, g.berlin)
	day := func(offset int) time.Time { return today.AddDate(0, 0, offset) }
	// work(n) is the n-th working day after today (n < 0: before it; 0: today, or Monday).
	work := func(n int) time.Time {
		d := today
		for !isWeekday(d) {
			d = d.AddDate(0, 0, 1)
		}
		step := 1
		if n < 0 {
			step, n = -1, -n
		}
		for ; n > 0; n-- {
			d = d.AddDate(0, 0, step)
			for !isWeekday(d) {
				d = d.AddDate(0, 0, step)
			}
		}
		return d
	}
	const first, last = -7, 27

	g.series(first, last, func(t time.Time) bool { return isWeekday(t) }, Event{
		Subject: "Daily stand-up", TimeZone: MailboxZone, JoinURL: teamsJoinURL(g.rng), Provider: ProviderTeamsForBusiness,
		BodyPreview: teamsBody(""), Response: ResponseAccepted,
		OrganizerName: colleagues[0].name, OrganizerAddress: colleagues[0].address,
	}, 9, 30, 15*time.Minute, day, func(occ []*Event) {
		// One future stand-up is cancelled and another moved: the exceptions a series has.
		future := occurrencesFrom(occ, today.AddDate(0, 0, 1))
		if len(future) >= 2 {
			i := g.rng.IntN(len(future) - 1)
			c := future[i]
			c.IsCancelled, c.ShowAs, c.Subject = true, ShowAsFree, "Canceled: Daily stand-up"
			mv := future[i+1]
			mv.Type = TypeException
			mv.Start, mv.End = mv.Start.Add(30*time.Minute), mv.End.Add(30*time.Minute)
		}
	})
	g.series(first, last, func(t time.Time) bool { return t.Weekday() == time.Tuesday }, Event{
		Subject: "1:1 Alex / Jordan", TimeZone: MailboxZone, Location: "Zoom Meeting",
		BodyPreview: zoomBody(), Response: ResponseOrganizer,
		OrganizerName: g.me.name, OrganizerAddress: g.me.address,
	}, 14, 0, 30*time.Minute, day, nil)
	g.series(first, last, func(t time.Time) bool { return t.Weekday() == time.Thursday }, Event{
		Subject: "Cross-team sync 🇺🇸🇩🇪", TimeZone: "Pacific Standard Time", JoinURL: teamsJoinURL(g.rng),
		Provider: ProviderTeamsForBusiness, BodyPreview: teamsBody(""), Response: ResponseAccepted,
		OrganizerName: colleagues[1].name, OrganizerAddress: colleagues[1].address,
	}, 8, 0, time.Hour, day, nil)
	g.series(first, last, func(t time.Time) bool { return t.Weekday() == time.Wednesday }, Event{
		Subject: "समीक्षा बैठक / Weekly review", TimeZone: "India Standard Time",
		Location: "https://meet.google.com/kzq-wxbn-rtu", Response: ResponseTentative, ShowAs: ShowAsTentative,
		BodyPreview:   "Agenda: metrics, hiring, open risks. Join with Google Meet (link in location).",
		OrganizerName: colleagues[2].name, OrganizerAddress: colleagues[2].address,
	}, 15, 30, time.Hour, day, nil)
	biweekly := 0
	g.series(first, last, func(t time.Time) bool {
		if t.Weekday() != time.Monday {
			return false
		}
		biweekly++
		return biweekly%2 == 1
	}, Event{
		Subject: "APAC planning 🌏", TimeZone: "New Zealand Standard Time", Response: ResponseAccepted,
		BodyPreview:   "Microsoft Teams meeting. Join: " + safeLink(teamsMeetURL(g.rng)),
		OrganizerName: colleagues[3].name, OrganizerAddress: colleagues[3].address,
	}, 8, 0, time.Hour, day, nil)

	// The next meeting is minutes away, with a Teams link, and its reminder fell within the
	// minute before now (its lead is the minutes until it starts, rounded up): `caltray --demo`
	// shows a real reminder with Join at its first sync.
	soon := now.In(g.berlin).Truncate(15 * time.Minute).Add(30 * time.Minute)
	lead := int((soon.Sub(now) + time.Minute - 1) / time.Minute)
	g.single(Event{Subject: "Sprint planning 🗓️", TimeZone: MailboxZone, Start: soon, End: soon.Add(time.Hour),
		JoinURL: teamsJoinURL(g.rng), Provider: ProviderTeamsForBusiness, BodyPreview: teamsBody(""),
		Response: ResponseOrganizer, OrganizerName: g.me.name, OrganizerAddress: g.me.address, ReminderMinutes: &lead})
	g.allDay("🎂 Birthday: Ana", MailboxZone, day(0), 1, ShowAsFree, ResponseOrganizer, g.me)
	g.timed("Customer call — Fabrikam", work(1), 11, 0, time.Hour, Event{JoinURL: teamsJoinURL(g.rng),
		Provider: ProviderTeamsForBusiness, Response: ResponseAccepted, BodyPreview: teamsBody("")}, colleagues[5])
	g.timed("Design review 🎨", work(1), 11, 30, time.Hour, Event{Response: ResponseAccepted,
		BodyPreview: "Webex meeting: https://contoso.webex.com/contoso/j.php?MTID=m2b5c8e1f0a9d4c7b6e3f2a1d0c9b8a7e\r\nMeeting number: 2745 118 9034"}, colleagues[4])
	g.timed("Release window 🚀", work(1), 23, 0, 150*time.Minute, Event{JoinURL: teamsJoinURL(g.rng),
		Provider: ProviderTeamsForBusiness, Response: ResponseOrganizer, BodyPreview: teamsBody("Bridge stays open all night.")}, g.me)
	g.timed("Budget review Q3 / مراجعة الميزانية", work(2), 10, 0, time.Hour, Event{Response: ResponseDeclined,
		ShowAs: ShowAsFree, JoinURL: teamsJoinURL(g.rng), Provider: ProviderTeamsForBusiness}, colleagues[7])
	g.timed("Partner escalation call", work(2), 15, 0, 30*time.Minute, Event{Response: ResponseAccepted,
		Location: "Microsoft Teams Meeting",
		BodyPreview: "Dial in: +1 323-555-0166,,48213377# (audio only)\r\nNew to Teams? Learn more: https://aka.ms/JoinTeamsMeeting\r\n" +
			"Join the meeting now: " + teamsMeetURL(g.rng) + "\r\nMeeting options: https://teams.microsoft.com/meetingOptions/"}, colleagues[5])
	g.timed("Architecture guild — 設計レビュー", work(3), 16, 0, time.Hour, Event{Response: ResponseTentative,
		ShowAs: ShowAsTentative, Location: "Conf Room 4.12 Aurora"}, colleagues[6])
	g.timed("Canceled: Vendor demo", work(4), 13, 0, time.Hour, Event{Response: ResponseAccepted, ShowAs: ShowAsFree,
		IsCancelled: true, Location: "Zoom", BodyPreview: zoomBody()}, colleagues[5])
	g.timed("All-hands town hall", work(5), 17, 0, time.Hour, Event{Response: ResponseNotResponded,
		JoinURL: teamsJoinURL(g.rng), Provider: ProviderTeamsForBusiness, BodyPreview: teamsBody("")}, colleagues[1])
	g.timed("Кофе ☕ с командой", work(-3), 15, 0, 30*time.Minute, Event{Response: ResponseAccepted,
		Location: "Kitchen, 3rd floor"}, colleagues[6])
	g.timed("회의: 제품 로드맵", work(-1), 10, 0, time.Hour, Event{Response: ResponseAccepted,
		JoinURL: teamsJoinURL(g.rng), Provider: ProviderTeamsForBusiness, BodyPreview: teamsBody("")}, colleagues[0])
	g.allDay("Public holiday (Berlin office closed)", MailboxZone, work(6), 1, ShowAsFree, ResponseNone, g.me)
	g.allDay("Team offsite in Lisbon 🇵🇹", MailboxZone, work(8), 3, ShowAsWorkingElsewhere, ResponseAccepted, colleagues[4])
	g.allDay("Waitangi Day — Auckland office closed", "New Zealand Standard Time", day(12), 1, ShowAsFree, ResponseNone, colleagues[3])

	// Overnight maintenance across the next DST change of a European and an American zone.
	for _, zone := range []string{MailboxZone, "Pacific Standard Time"} {
		loc := mustZone(zone)
		_, change := day(first).In(loc).ZoneBounds()
		if change.IsZero() {
			continue
		}
		g.single(Event{Subject: "Planned maintenance (DST night) 🛠️", TimeZone: zone,
			Start: change.Add(-2 * time.Hour).In(loc), End: change.Add(3 * time.Hour).In(loc),
			Response: ResponseAccepted, ShowAs: ShowAsOOF, Location: "Datacenter FRA-2",
			OrganizerName: colleagues[6].name, OrganizerAddress: colleagues[6].address})
	}

	// Ad-hoc meetings vary with the seed.
	for offset := first; offset <= last; offset++ {
		if !isWeekday(day(offset)) {
			continue
		}
		for range g.rng.IntN(3) {
			e := Event{Response: pick(g.rng, []string{ResponseAccepted, ResponseAccepted, ResponseAccepted, ResponseAccepted,
				ResponseAccepted, ResponseAccepted, ResponseTentative, ResponseNotResponded, ResponseDeclined, ResponseOrganizer})}
			switch e.Response {
			case ResponseTentative:
				e.ShowAs = ShowAsTentative
			case ResponseDeclined:
				e.ShowAs = ShowAsFree
			}
			switch g.rng.IntN(4) {
			case 0, 1:
				e.JoinURL, e.Provider, e.BodyPreview = teamsJoinURL(g.rng), ProviderTeamsForBusiness, teamsBody("")
			case 2:
				e.Location, e.BodyPreview = "Zoom", zoomBody()
			default:
				e.Location = pick(g.rng, []string{"Conf Room 2.01 Borealis", "Café Einstein", "Room 5.3 Kōwhai"})
			}
			org := pick(g.rng, colleagues)
			if e.Response == ResponseOrganizer {
				org = g.me
			}
			g.timed(pick(g.rng, adHocSubjects), day(offset), 10+g.rng.IntN(7), 30*g.rng.IntN(2),
				time.Duration(30+15*g.rng.IntN(3))*time.Minute, e, org)
		}
	}
	for i := range g.events {
		if err := g.events[i].normalize(); err != nil {
			panic("fakegraph: generated an invalid event: " + err.Error()) // covered by TestCalendar
		}
	}
	return g.events
}

// series adds the occurrences of a recurring meeting on the days in [first, last] that match:
// at hh:mm wall time in the series' zone, so the instants move when that zone changes DST.
func (g *gen) series(first, last int, match func(time.Time) bool, proto Event, hh, mm int, dur time.Duration,
	day func(int) time.Time, adjust func([]*Event)) {
	loc := mustZone(proto.TimeZone)
	master := g.id()
	start := len(g.events)
	for offset := first; offset <= last; offset++ {
		d := day(offset)
		if !match(d) {
			continue
		}
		e := proto
		e.ID, e.Type, e.SeriesMasterID = g.id(), TypeOccurrence, master
		y, m, dd := d.Date()
		e.Start = time.Date(y, m, dd, hh, mm, 0, 0, loc)
		e.End = e.Start.Add(dur)
		g.events = append(g.events, e)
	}
	if adjust != nil {
		occ := make([]*Event, 0, len(g.events)-start)
		for i := start; i < len(g.events); i++ {
			occ = append(occ, &g.events[i])
		}
		adjust(occ)
	}
}

// timed adds a single meeting at hh:mm Berlin time on day d.
func (g *gen) timed(subject string, d time.Time, hh, mm int, dur time.Duration, e Event, organizer person) {
	y, m, dd := d.Date()
	e.Subject, e.TimeZone = subject, MailboxZone
	e.Start = time.Date(y, m, dd, hh, mm, 0, 0, g.berlin)
	e.End = e.Start.Add(dur)
	e.OrganizerName, e.OrganizerAddress = organizer.name, organizer.address
	g.single(e)
}

func (g *gen) allDay(subject, zone string, d time.Time, days int, showAs, response string, organizer person) {
	y, m, dd := d.Date()
	loc := mustZone(zone)
	g.single(Event{Subject: subject, TimeZone: zone, AllDay: true,
		Start: time.Date(y, m, dd, 0, 0, 0, 0, loc), End: time.Date(y, m, dd+days, 0, 0, 0, 0, loc),
		ShowAs: showAs, Response: response, OrganizerName: organizer.name, OrganizerAddress: organizer.address})
}

func (g *gen) single(e Event) {
	e.ID = g.id()
	g.events = append(g.events, e)
}

// id makes an Exchange-looking ID ("AAMkAD…="), unique within one generated calendar.
func (g *gen) id() string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], 0x0000_4147_4932_5400|uint64(len(g.events)))
	binary.BigEndian.PutUint64(b[8:], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[16:], g.rng.Uint64())
	return "AAMkAD" + base64.RawURLEncoding.EncodeToString(b[:]) + "="
}

func occurrencesFrom(occ []*Event, from time.Time) []*Event {
	var out []*Event
	for _, e := range occ {
		if !e.Start.Before(from) {
			out = append(out, e)
		}
	}
	return out
}

func isWeekday(t time.Time) bool { return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday }

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

func teamsJoinURL(rng *rand.Rand) string {
	return fmt.Sprintf("https://teams.microsoft.com/l/meetup-join/19%%3ameeting_%s%%40thread.v2/0?context=%%7b%%22Tid%%22%%3a%%2272f988bf-86f1-41af-91ab-2d7cd011db47%%22%%2c%%22Oid%%22%%3a%%22%s%%22%%7d",
		base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, rng.Uint64())), uuidFrom(rng))
}

// teamsMeetURL is the short join link newer Teams invitations carry in their body.
func teamsMeetURL(rng *rand.Rand) string {
	return fmt.Sprintf("https://teams.microsoft.com/meet/%013d?p=%s", rng.Int64N(1e13),
		base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, rng.Uint64()))[:10])
}

func uuidFrom(rng *rand.Rand) string {
	b := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, rng.Uint64()), rng.Uint64())
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// safeLink wraps a link the way Defender for Office 365 rewrites it in a received invitation.
func safeLink(target string) string {
	return "https://eur02.safelinks.protection.outlook.com/?url=" + url.QueryEscape(target) +
		"&data=05%7C02%7C%7C6c3b%7C0%7C0&sdata=Zm9vYmFy%3D&reserved=0"
}

func teamsBody(note string) string {
	body := "Microsoft Teams meeting\r\nJoin on your computer, mobile app or room device\r\nClick here to join the meeting\r\nMeeting ID: 316 942 805 71\r\nPasscode: 9kXq7T"
	if note != "" {
		body = note + "\r\n" + body
	}
	return body
}

func zoomBody() string {
	return "Join Zoom Meeting\r\nhttps://contoso.zoom.us/j/91234567890?pwd=bXlQd2RsZXNzVGVzdA.1\r\nMeeting ID: 912 3456 7890\r\nPasscode: 482913\r\nOne tap mobile: +14086380968,,91234567890# US (San Jose)"
}

// Spread generates n single meetings spread evenly over [from, to), for load tests: 30 minutes
// each, stored in zones on several continents, every other one with a Teams link. IDs are
// hashed so that their order is not the order of the start times.
func Spread(n int, from, to time.Time) []Event {
	zones := []string{"UTC", "Pacific Standard Time", MailboxZone, "India Standard Time", "New Zealand Standard Time"}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(from.UnixNano())))
	step := to.Sub(from) / time.Duration(max(n, 1))
	out := make([]Event, n)
	for i := range out {
		zone := zones[i%len(zones)]
		start := from.Add(time.Duration(i) * step).In(mustZone(zone))
		e := Event{
			ID:      fmt.Sprintf("AAMkADlo%016x=", hash64(fmt.Sprint(i))),
			Subject: fmt.Sprintf("Load test meeting %d", i+1), TimeZone: zone,
			Start: start, End: start.Add(30 * time.Minute), Response: ResponseAccepted,
			OrganizerName: colleagues[i%len(colleagues)].name, OrganizerAddress: colleagues[i%len(colleagues)].address,
		}
		if i%2 == 0 {
			e.JoinURL, e.Provider = teamsJoinURL(rng), ProviderTeamsForBusiness
		}
		if err := e.normalize(); err != nil {
			panic("fakegraph: generated an invalid event: " + err.Error()) // covered by TestSpread
		}
		out[i] = e
	}
	return out
}
