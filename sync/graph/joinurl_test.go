package graph

import (
	"net/url"
	"testing"
)

func TestJoinURL(t *testing.T) {
	const teams = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NGY3ZTM1YjItMjM0Ni00ZDM4LWI2ZTQtYjY4ZmE5ZTE1ZDE0%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%2c%22Oid%22%3a%22a1b2%22%7d"
	tests := []struct {
		name                          string
		onlineMeeting, location, body string
		want                          string
	}{
		{
			name:          "onlineMeeting.joinUrl wins over links in the body",
			onlineMeeting: teams,
			body:          "Join Zoom Meeting https://us02web.zoom.us/j/85551234567?pwd=abc",
			want:          teams,
		},
		{
			name: "Teams invitation body: join link, not dial-in or learn more",
			body: "________________________________________________________________________________ " +
				"Microsoft Teams meeting Join on your computer, mobile app or room device <" + teams + "> " +
				"Meeting ID: 245 123 456 789 Passcode: aB3cD4 Download Teams <https://www.microsoft.com/en-us/microsoft-teams/download-app> | " +
				"Join on the web <https://www.microsoft.com/microsoft-teams/join-a-meeting> Or call in (audio only) +1 323-555-0166,,123456789# " +
				"<tel:+13235550166,,123456789#> Find a local number <https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5?id=123456789>",
			want: teams,
		},
		{
			name: "Zoom: dial-in list and support links come first in the text",
			body: "Find your local number: https://us02web.zoom.us/u/kdAbCdEf Learn more https://support.zoom.us/hc/en-us " +
				"Join Zoom Meeting https://us02web.zoom.us/j/85551234567?pwd=UkVrWnBkSWZ1Q1FkZz09 Meeting ID: 855 5123 4567",
			want: "https://us02web.zoom.us/j/85551234567?pwd=UkVrWnBkSWZ1Q1FkZz09",
		},
		{
			name:     "Google Meet in the location beats Zoom in the body",
			location: "Video call: https://meet.google.com/abc-defg-hij; Room 4.12",
			body:     "Backup: https://zoom.us/j/123456789",
			want:     "https://meet.google.com/abc-defg-hij",
		},
		{
			name: "Google Meet: the tel.meet dial-in and the help page are not join links",
			body: "Join by phone https://tel.meet/abc-defg-hij?pin=1234567890 More phone numbers https://support.google.com/a/users/answer/9282720 " +
				"Join with Google Meet: https://meet.google.com/abc-defg-hij?authuser=0",
			want: "https://meet.google.com/abc-defg-hij?authuser=0",
		},
		{
			name: "Webex j.php link, after a download link",
			body: "Download Webex https://www.webex.com/downloads.html Join meeting https://acme.webex.com/acme/j.php?MTID=m4f0c7e2d9b1a Meeting number: 2634 567 8901",
			want: "https://acme.webex.com/acme/j.php?MTID=m4f0c7e2d9b1a",
		},
		{
			name: "Webex personal room",
			body: "Join my personal room: https://acme.webex.com/meet/jdoe.",
			want: "https://acme.webex.com/meet/jdoe",
		},
		{
			name: "GoToMeeting, after the install link",
			body: "First GoToMeeting? Try a test session: https://care.goto.com/ and install https://meet.goto.com/install " +
				"Please join my meeting from your computer, tablet or smartphone. https://meet.goto.com/123456789",
			want: "https://meet.goto.com/123456789",
		},
		{
			name: "GoToMeeting global link",
			body: "https://global.gotomeeting.com/join/123456789 You can also dial in using your phone.",
			want: "https://global.gotomeeting.com/join/123456789",
		},
		{
			name: "Amazon Chime",
			body: "Click to join the meeting: https://chime.aws/7001234567 Meeting ID: 7001 23 4567 Dial-in numbers https://chime.aws/dialinnumbers/",
			want: "https://chime.aws/7001234567",
		},
		{
			name:     "Jitsi in the location",
			location: "https://meet.jit.si/WeeklyPlanningSync",
			want:     "https://meet.jit.si/WeeklyPlanningSync",
		},
		{
			name: "Safe Links wrapper is unwrapped",
			body: "Join: https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fus02web.zoom.us%2Fj%2F85551234567%3Fpwd%3Dabc&data=05%7C01%7C&sdata=xyz&reserved=0",
			want: "https://us02web.zoom.us/j/85551234567?pwd=abc",
		},
		{
			name:          "Safe-Linked onlineMeeting.joinUrl is unwrapped too",
			onlineMeeting: "https://eur01.safelinks.protection.outlook.com/?url=" + url.QueryEscape(teams) + "&data=05&reserved=0",
			want:          teams,
		},
		{
			name: "a Safe Link wrapping a non-meeting page is no join link",
			body: "Agenda: https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.com%2Fagenda&reserved=0",
			want: "",
		},
		{
			name: "plain http meeting links are refused",
			body: "http://zoom.us/j/123456789",
			want: "",
		},
		{
			name: "look-alike hosts are refused",
			body: "https://zoom.us.evil.example/j/123 https://teams.microsoft.com.example.org/l/meetup-join/x https://notzoom.us/j/1",
			want: "",
		},
		{
			name:     "a room name is no link",
			location: "Conference Room Rainier (Building 92)",
			want:     "",
		},
		{
			name:          "a garbage onlineMeeting.joinUrl falls back to the body",
			onlineMeeting: "not a url",
			body:          "https://teams.microsoft.com/meet/2345678901?p=AbCdEf",
			want:          "https://teams.microsoft.com/meet/2345678901?p=AbCdEf",
		},
		{
			name: "trailing punctuation is not part of the link",
			body: "Join here (https://zoom.us/my/jdoe).",
			want: "https://zoom.us/my/jdoe",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := joinURL(tt.onlineMeeting, tt.location, tt.body); got != tt.want {
				t.Errorf("joinURL() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestJoinLinkProvider(t *testing.T) {
	tests := []struct{ link, want string }{
		{"https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0", "Teams"},
		{"https://teams.live.com/meet/9876543210", "Teams"},
		{"https://zoom.us/j/123", "Zoom"},
		{"https://acme.zoom.us/w/123?tk=x", "Zoom"},
		{"https://zoom.us/u/abc", ""},
		{"https://meet.google.com/abc-defg-hij", "Google Meet"},
		{"https://meet.google.com/", ""},
		{"https://acme.webex.com/acme/j.php?MTID=m1", "Webex"},
		{"https://global.gotomeeting.com/join/123456789", "GoToMeeting"},
		{"https://global.gotomeeting.com/install", ""},
		{"https://app.chime.aws/meetings/1234567890", "Chime"},
		{"https://meet.jit.si/Room", "Jitsi"},
		{"https://meet.jit.si/static/x.js", ""},
		{"https://example.com/j/123", ""},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.link)
		if err != nil {
			t.Fatal(err)
		}
		if got := joinLinkProvider(u); got != tt.want {
			t.Errorf("joinLinkProvider(%s) = %q, want %q", tt.link, got, tt.want)
		}
	}
}
