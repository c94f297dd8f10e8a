package app

// Message is a sentence shown to a person at the desk. Its value is a
// stable key; Text gives it in the desk's language.
type Message string

const (
	MsgServiceDown  Message = "reader.service_down"
	MsgNoReader     Message = "reader.none"
	MsgPresentPhone Message = "reader.present_phone"
	MsgCardOnReader Message = "reader.card_on_reader"
)

// Languages the desk speaks, as BCP 47 tags.
const (
	English           = "en"
	SimplifiedChinese = "zh-Hans"
)

var messages = map[string]map[Message]string{
	English: {
		MsgServiceDown:  "The card reader service is not running. Trying again…",
		MsgNoReader:     "No card reader is connected. Plug one in.",
		MsgPresentPhone: "Ready. Ask the customer to present their phone.",
		MsgCardOnReader: "A phone is on the reader.",
	},
	SimplifiedChinese: {
		MsgServiceDown:  "读卡器服务未运行,正在重试……",
		MsgNoReader:     "未连接读卡器,请插入读卡器。",
		MsgPresentPhone: "就绪,请顾客出示手机。",
		MsgCardOnReader: "手机已放在读卡器上。",
	},
}

// Text gives the message in the language asked for, falling back to
// English, and to the key itself if a translation is missing.
func (m Message) Text(lang string) string {
	if s, ok := messages[lang][m]; ok {
		return s
	}
	if s, ok := messages[English][m]; ok {
		return s
	}
	return string(m)
}
