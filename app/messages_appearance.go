package app

// The window's look, chosen in the settings.
const (
	MsgTheme       Message = "appearance.theme"
	MsgThemeSystem Message = "appearance.theme_system"
	MsgThemeLight  Message = "appearance.theme_light"
	MsgThemeDark   Message = "appearance.theme_dark"
)
