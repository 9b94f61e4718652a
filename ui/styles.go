package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles are every style the UI draws with, for a dark or a light terminal.
type Styles struct {
	Header, Sandbox, Tab, ActiveTab       lipgloss.Style
	Title, Muted, Row, Selected, Warn, OK lipgloss.Style
	Error, ErrorBox, Key, Money           lipgloss.Style
}

// NewStyles picks colours that read on the terminal's background.
func NewStyles(dark bool) Styles {
	ld := lipgloss.LightDark(dark)
	accent := ld(lipgloss.Color("#5A56E0"), lipgloss.Color("#7D79F6"))
	muted := ld(lipgloss.Color("#6B6B6B"), lipgloss.Color("#8A8A8A"))
	warn := ld(lipgloss.Color("#B35C00"), lipgloss.Color("#FFB86C"))
	bad := ld(lipgloss.Color("#C0262D"), lipgloss.Color("#FF6E6E"))
	good := ld(lipgloss.Color("#1E7F3C"), lipgloss.Color("#50FA7B"))
	selBg := ld(lipgloss.Color("#E4E2FF"), lipgloss.Color("#34325C"))
	var fg color.Color = ld(lipgloss.Color("#1A1A1A"), lipgloss.Color("#EEEEEE"))
	return Styles{
		Header:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		Sandbox:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#000000")).Background(warn).Padding(0, 1),
		Tab:       lipgloss.NewStyle().Foreground(muted).Padding(0, 1),
		ActiveTab: lipgloss.NewStyle().Bold(true).Foreground(accent).Underline(true).Padding(0, 1),
		Title:     lipgloss.NewStyle().Bold(true).Foreground(fg),
		Muted:     lipgloss.NewStyle().Foreground(muted),
		Row:       lipgloss.NewStyle().Foreground(fg),
		Selected:  lipgloss.NewStyle().Foreground(fg).Background(selBg).Bold(true),
		Warn:      lipgloss.NewStyle().Foreground(warn),
		OK:        lipgloss.NewStyle().Foreground(good),
		Error:     lipgloss.NewStyle().Foreground(bad),
		ErrorBox:  lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(bad).Padding(0, 1),
		Key:       lipgloss.NewStyle().Bold(true).Foreground(accent),
		Money:     lipgloss.NewStyle().Foreground(good),
	}
}
