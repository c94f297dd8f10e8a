package app

// The desk's sentences. Every key has both languages; a test checks it.
const (
	MsgServiceDown  Message = "reader.service_down"
	MsgNoReader     Message = "reader.none"
	MsgPresentPhone Message = "reader.present_phone"
	MsgCardOnReader Message = "reader.card_on_reader"

	MsgSignInTitle Message = "signin.title"
	MsgOperator    Message = "signin.operator"
	MsgPIN         Message = "signin.pin"
	MsgSignIn      Message = "signin.button"
	MsgSignOut     Message = "signin.sign_out"
	MsgWrongPIN    Message = "signin.wrong_pin"
	MsgLocked      Message = "signin.locked"
	MsgIdleLocked  Message = "signin.idle_locked"
	MsgSignedInAs  Message = "signin.signed_in_as"
	MsgNotAllowed  Message = "signin.not_allowed"
	MsgFirstAdmin  Message = "signin.first_admin"
	MsgNoOperators Message = "signin.no_operators"
	MsgFirstTitle  Message = "signin.first_title"
	MsgPINAgain    Message = "signin.pin_again"
	MsgCreateAdmin Message = "signin.create_admin"
	MsgPINsDiffer  Message = "signin.pins_differ"
	MsgBadPIN      Message = "signin.bad_pin"

	MsgTabCheckout   Message = "tab.checkout"
	MsgTabForwarding Message = "tab.forwarding"
	MsgTabEndOfDay   Message = "tab.end_of_day"
	MsgTabTeller     Message = "tab.teller"
	MsgTabSettings   Message = "tab.settings"

	MsgAmount         Message = "checkout.amount"
	MsgCharge         Message = "checkout.charge"
	MsgCancel         Message = "checkout.cancel"
	MsgTypeAmount     Message = "checkout.type_amount"
	MsgBadAmount      Message = "checkout.bad_amount"
	MsgWaitingFor     Message = "checkout.waiting_for"
	MsgApproved       Message = "checkout.approved"
	MsgDeclined       Message = "checkout.declined"
	MsgNotPaid        Message = "checkout.not_paid"
	MsgRecovered      Message = "checkout.recovered"
	MsgNoPhone        Message = "checkout.no_phone"
	MsgOverLimit      Message = "checkout.over_limit"
	MsgSomethingWrong Message = "checkout.something_wrong"
	MsgNextSale       Message = "checkout.next_sale"
	MsgAllReaders     Message = "checkout.all_readers"
	MsgDemoTap        Message = "checkout.demo_tap"
	MsgSupervisorPass Message = "checkout.supervisor_pass"

	MsgLimitPerPurchase   Message = "limit.per_purchase"
	MsgLimitPendingAmount Message = "limit.pending_amount"
	MsgLimitPendingCount  Message = "limit.pending_count"
	MsgLimitOldest        Message = "limit.oldest_pending"

	MsgBankOnline     Message = "banner.online"
	MsgBankOffline    Message = "banner.offline"
	MsgBankNone       Message = "banner.not_enrolled"
	MsgPending        Message = "banner.pending"
	MsgPendingOne     Message = "banner.pending_one"
	MsgOldestPending  Message = "banner.oldest"
	MsgLimitsLeft     Message = "banner.limits_left"
	MsgForwardNow     Message = "banner.forward_now"
	MsgForwarding     Message = "banner.forwarding"
	MsgForwardFailed  Message = "banner.forward_failed"
	MsgNothingPending Message = "banner.nothing_pending"

	MsgReceipt         Message = "receipt.title"
	MsgReceiptCopy     Message = "receipt.copy"
	MsgReceiptMerchant Message = "receipt.merchant"
	MsgReceiptTerminal Message = "receipt.terminal"
	MsgReceiptSeq      Message = "receipt.seq"
	MsgReceiptWallet   Message = "receipt.wallet"
	MsgReceiptDate     Message = "receipt.date"
	MsgReceiptCashier  Message = "receipt.cashier"
	MsgReceiptAmount   Message = "receipt.amount"
	MsgReceiptOffline  Message = "receipt.offline"
	MsgReceiptVoided   Message = "receipt.voided"
	MsgPrint           Message = "receipt.print"
	MsgPrinted         Message = "receipt.printed"
	MsgClose           Message = "receipt.close"

	MsgVoid           Message = "void.button"
	MsgVoidTitle      Message = "void.title"
	MsgVoidReason     Message = "void.reason"
	MsgSupervisor     Message = "void.supervisor"
	MsgVoidDone       Message = "void.done"
	MsgNotVoidable    Message = "void.not_voidable"
	MsgJournalTitle   Message = "journal.title"
	MsgJournalEmpty   Message = "journal.empty"
	MsgStateCaptured  Message = "state.captured"
	MsgStateSent      Message = "state.sent"
	MsgStatePosted    Message = "state.posted"
	MsgStateRejected  Message = "state.rejected"
	MsgStateDuplicate Message = "state.duplicate"
	MsgStateVoided    Message = "state.voided"
	MsgStatePending   Message = "state.pending"
	MsgAllow          Message = "checkout.allow"

	MsgXReport       Message = "eod.x_report"
	MsgRefresh       Message = "eod.refresh"
	MsgTellerOnly    Message = "teller.only"
	MsgSettingsIdle  Message = "settings.idle_lock"
	MsgSettingsSaved Message = "settings.saved"
	MsgSave          Message = "settings.save"
	MsgReaderChoice  Message = "settings.reader"

	MsgRoleCashier    Message = "role.cashier"
	MsgRoleSupervisor Message = "role.supervisor"
	MsgRoleTeller     Message = "role.teller"
	MsgRoleAdmin      Message = "role.admin"

	MsgReportZTitle    Message = "report.z_title"
	MsgReportXNote     Message = "report.x_note"
	MsgReportZNote     Message = "report.z_note"
	MsgReportShop      Message = "report.shop"
	MsgReportMerchant  Message = "report.merchant_id"
	MsgReportTerminal  Message = "report.terminal_id"
	MsgReportEntries   Message = "report.entries"
	MsgReportRange     Message = "report.range"
	MsgReportNoEntries Message = "report.no_entries"
	MsgReportMade      Message = "report.made"
	MsgReportByState   Message = "report.by_state"
	MsgReportState     Message = "report.state"
	MsgReportCount     Message = "report.count"
	MsgReportAmount    Message = "report.amount"
	MsgReportTotal     Message = "report.total"
	MsgReportDuplicate Message = "report.duplicate"
	MsgReportByCashier Message = "report.by_cashier"
	MsgReportByHour    Message = "report.by_hour"
	MsgReportHour      Message = "report.hour"
	MsgReportCNY       Message = "report.cny"
	MsgReportNoSales   Message = "report.no_sales"
	MsgReportSeal      Message = "report.seal"
	MsgReportSigned    Message = "report.signed"
	MsgReportPage      Message = "report.page"
)

var messages = map[string]map[Message]string{
	English: {
		MsgServiceDown:  "The card reader service is not running. Trying again…",
		MsgNoReader:     "No card reader is connected. Plug one in.",
		MsgPresentPhone: "Ready. Ask the customer to present their phone.",
		MsgCardOnReader: "A phone is on the reader.",

		MsgSignInTitle: "Sign in",
		MsgOperator:    "Operator",
		MsgPIN:         "PIN",
		MsgSignIn:      "Sign in",
		MsgSignOut:     "Sign out",
		MsgWrongPIN:    "Wrong operator or PIN. After 5 wrong PINs in a row the operator is locked.",
		MsgLocked:      "This operator is locked after too many wrong PINs. An admin must set a new PIN.",
		MsgIdleLocked:  "The desk locked itself after %d idle minutes. Sign in again.",
		MsgSignedInAs:  "%s (%s)",
		MsgNotAllowed:  "Your role does not allow this.",
		MsgFirstAdmin:  "The first operator of a desk must be an admin.",
		MsgNoOperators: "This desk has no operators yet. Add an admin with: lingqian operator add --role admin",
		MsgFirstTitle:  "This desk has no operator yet. Make the first one: an admin, who then adds the others.",
		MsgPINAgain:    "PIN again",
		MsgCreateAdmin: "Create the admin and sign in",
		MsgPINsDiffer:  "The two PINs differ. Type them again.",
		MsgBadPIN:      "A PIN has 4 to 12 digits.",

		MsgTabCheckout:   "Checkout (F2)",
		MsgTabForwarding: "Forwarding (F3)",
		MsgTabEndOfDay:   "End of day (F4)",
		MsgTabTeller:     "Teller (F5)",
		MsgTabSettings:   "Settings (F6)",

		MsgAmount:         "Amount (CNY)",
		MsgCharge:         "Charge (Enter)",
		MsgCancel:         "Cancel (Esc)",
		MsgTypeAmount:     "Type the amount and press Enter.",
		MsgBadAmount:      "Write the amount like 12.50.",
		MsgWaitingFor:     "Present phone: %s CNY",
		MsgApproved:       "APPROVED",
		MsgDeclined:       "DECLINED",
		MsgNotPaid:        "NOT PAID",
		MsgRecovered:      "The earlier %s went through; this %s sale is not paid yet: tap again.",
		MsgNoPhone:        "No phone was presented in time. Nothing was charged.",
		MsgOverLimit:      "Not charged: %s",
		MsgSomethingWrong: "The desk could not do this. Nothing was charged. The details are in the log.",
		MsgNextSale:       "Next sale: type the amount.",
		MsgAllReaders:     "every reader",
		MsgDemoTap:        "Tap the demo phone (F9)",
		MsgSupervisorPass: "A supervisor may allow this sale past the limit.",

		MsgLimitPerPurchase:   "the amount is over the offline limit for one purchase.",
		MsgLimitPendingAmount: "too much is not yet at the bank. Forward first.",
		MsgLimitPendingCount:  "too many sales are not yet at the bank. Forward first.",
		MsgLimitOldest:        "the oldest sale not yet at the bank is too old. Forward first.",

		MsgBankOnline:     "Bank online",
		MsgBankOffline:    "Bank offline",
		MsgBankNone:       "No bank (desk not enrolled)",
		MsgPending:        "Pending: %d sales, %s CNY, oldest %s",
		MsgPendingOne:     "Pending: 1 sale, %s CNY, %s old",
		MsgOldestPending:  "oldest %s",
		MsgLimitsLeft:     "Offline limits left: %s CNY, %d sales, %s",
		MsgForwardNow:     "Forward now",
		MsgForwarding:     "Forwarding: %d sent, %d posted",
		MsgForwardFailed:  "Last forwarding fell short; it will try again.",
		MsgNothingPending: "Nothing pending",

		MsgReceipt:         "Receipt",
		MsgReceiptCopy:     "COPY",
		MsgReceiptMerchant: "Merchant",
		MsgReceiptTerminal: "Terminal",
		MsgReceiptSeq:      "Sequence",
		MsgReceiptWallet:   "Wallet",
		MsgReceiptDate:     "Date",
		MsgReceiptCashier:  "Cashier",
		MsgReceiptAmount:   "Amount",
		MsgReceiptOffline:  "Paid with offline e-cash",
		MsgReceiptVoided:   "VOIDED",
		MsgPrint:           "Print",
		MsgPrinted:         "Sent to the printer.",
		MsgClose:           "Close",

		MsgVoid:           "Void",
		MsgVoidTitle:      "Void sale %d",
		MsgVoidReason:     "Reason",
		MsgSupervisor:     "Supervisor",
		MsgVoidDone:       "Sale %d is voided.",
		MsgNotVoidable:    "This sale has gone to the bank, or is voided already: it cannot be voided here.",
		MsgJournalTitle:   "Sales",
		MsgJournalEmpty:   "No sales yet.",
		MsgStateCaptured:  "not yet sent",
		MsgStateSent:      "sent",
		MsgStatePosted:    "posted",
		MsgStateRejected:  "rejected",
		MsgStateDuplicate: "duplicate",
		MsgStateVoided:    "voided",
		MsgStatePending:   "pending",
		MsgAllow:          "Allow",

		MsgXReport:       "X report (the day so far)",
		MsgRefresh:       "Refresh",
		MsgTellerOnly:    "Teller mode is for a desk the bank enrolled as a teller desk, and an operator with the teller role.",
		MsgSettingsIdle:  "Lock after idle minutes (0: never)",
		MsgSettingsSaved: "Saved.",
		MsgSave:          "Save",
		MsgReaderChoice:  "Reader for checkout",

		MsgRoleCashier:    "cashier",
		MsgRoleSupervisor: "supervisor",
		MsgRoleTeller:     "teller",
		MsgRoleAdmin:      "admin",

		MsgReportZTitle:    "Z report no. %d",
		MsgReportXNote:     "A look at the day so far. It closes nothing.",
		MsgReportZNote:     "The day closed. This report is sealed and never changes.",
		MsgReportShop:      "Shop",
		MsgReportMerchant:  "Merchant ID",
		MsgReportTerminal:  "Terminal ID",
		MsgReportEntries:   "Journal entries",
		MsgReportRange:     "%d to %d",
		MsgReportNoEntries: "none (after %d)",
		MsgReportMade:      "Made",
		MsgReportByState:   "Sales by where they stand at the bank",
		MsgReportState:     "State",
		MsgReportCount:     "Count",
		MsgReportAmount:    "Amount (CNY)",
		MsgReportTotal:     "Sales not voided",
		MsgReportDuplicate: "of which the bank already had",
		MsgReportByCashier: "Sales by cashier (not voided)",
		MsgReportByHour:    "Sales by hour (not voided)",
		MsgReportHour:      "%02d:00 to %02d:00",
		MsgReportCNY:       "CNY",
		MsgReportNoSales:   "No sales in this period.",
		MsgReportSeal:      "Seal (SHA-256)",
		MsgReportSigned:    "Checked and signed",
		MsgReportPage:      "Page %d of %d",
	},
	SimplifiedChinese: {
		MsgServiceDown:  "读卡器服务未运行，正在重试……",
		MsgNoReader:     "未连接读卡器，请插入读卡器。",
		MsgPresentPhone: "就绪，请顾客出示手机。",
		MsgCardOnReader: "手机已放在读卡器上。",

		MsgSignInTitle: "登录",
		MsgOperator:    "操作员",
		MsgPIN:         "密码",
		MsgSignIn:      "登录",
		MsgSignOut:     "退出登录",
		MsgWrongPIN:    "操作员或密码错误。连续输错 5 次将锁定该操作员。",
		MsgLocked:      "该操作员因密码输错次数过多已被锁定，须由管理员重设密码。",
		MsgIdleLocked:  "收银台空闲 %d 分钟后已自动锁定，请重新登录。",
		MsgSignedInAs:  "%s（%s）",
		MsgNotAllowed:  "您的角色无权执行此操作。",
		MsgFirstAdmin:  "收银台的第一个操作员必须是管理员。",
		MsgNoOperators: "此收银台尚无操作员。请用以下命令添加管理员：lingqian operator add --role admin",
		MsgFirstTitle:  "此收银台尚无操作员。请创建第一个操作员：管理员，再由其添加其他操作员。",
		MsgPINAgain:    "再次输入密码",
		MsgCreateAdmin: "创建管理员并登录",
		MsgPINsDiffer:  "两次输入的密码不一致，请重新输入。",
		MsgBadPIN:      "密码须为 4 至 12 位数字。",

		MsgTabCheckout:   "收银 (F2)",
		MsgTabForwarding: "上送 (F3)",
		MsgTabEndOfDay:   "日结 (F4)",
		MsgTabTeller:     "柜员 (F5)",
		MsgTabSettings:   "设置 (F6)",

		MsgAmount:         "金额(元)",
		MsgCharge:         "收款 (Enter)",
		MsgCancel:         "取消 (Esc)",
		MsgTypeAmount:     "输入金额后按 Enter。",
		MsgBadAmount:      "请按 12.50 的格式输入金额。",
		MsgWaitingFor:     "请出示手机：%s 元",
		MsgApproved:       "交易成功",
		MsgDeclined:       "交易拒绝",
		MsgNotPaid:        "未付款",
		MsgRecovered:      "之前的 %s 元已成功支付;本笔 %s 元尚未付款：请再次轻触。",
		MsgNoPhone:        "未在规定时间内出示手机，未扣款。",
		MsgOverLimit:      "未扣款：%s",
		MsgSomethingWrong: "收银台无法完成此操作，未扣款。详情见日志。",
		MsgNextSale:       "下一笔：请输入金额。",
		MsgAllReaders:     "所有读卡器",
		MsgDemoTap:        "轻触演示手机 (F9)",
		MsgSupervisorPass: "主管可授权本笔交易超过限额。",

		MsgLimitPerPurchase:   "金额超过单笔脱机限额。",
		MsgLimitPendingAmount: "未上送银行的金额过多，请先上送。",
		MsgLimitPendingCount:  "未上送银行的笔数过多，请先上送。",
		MsgLimitOldest:        "最早一笔未上送的交易时间过久，请先上送。",

		MsgBankOnline:     "银行在线",
		MsgBankOffline:    "银行离线",
		MsgBankNone:       "未连接银行(收银台未注册)",
		MsgPending:        "待上送：%d 笔，%s 元，最早 %s",
		MsgPendingOne:     "待上送：1 笔，%s 元，已 %s",
		MsgOldestPending:  "最早 %s",
		MsgLimitsLeft:     "剩余脱机限额：%s 元，%d 笔，%s",
		MsgForwardNow:     "立即上送",
		MsgForwarding:     "上送中：已发送 %d 笔，已入账 %d 笔",
		MsgForwardFailed:  "上次上送未完成，稍后将自动重试。",
		MsgNothingPending: "无待上送交易",

		MsgReceipt:         "收据",
		MsgReceiptCopy:     "重印",
		MsgReceiptMerchant: "商户",
		MsgReceiptTerminal: "终端",
		MsgReceiptSeq:      "流水号",
		MsgReceiptWallet:   "钱包",
		MsgReceiptDate:     "日期",
		MsgReceiptCashier:  "收银员",
		MsgReceiptAmount:   "金额",
		MsgReceiptOffline:  "脱机电子现金支付",
		MsgReceiptVoided:   "已撤销",
		MsgPrint:           "打印",
		MsgPrinted:         "已发送到打印机。",
		MsgClose:           "关闭",

		MsgVoid:           "撤销",
		MsgVoidTitle:      "撤销第 %d 笔交易",
		MsgVoidReason:     "原因",
		MsgSupervisor:     "主管",
		MsgVoidDone:       "第 %d 笔交易已撤销。",
		MsgNotVoidable:    "该交易已上送银行或已撤销，无法在此撤销。",
		MsgJournalTitle:   "交易",
		MsgJournalEmpty:   "尚无交易。",
		MsgStateCaptured:  "未上送",
		MsgStateSent:      "已发送",
		MsgStatePosted:    "已入账",
		MsgStateRejected:  "被拒绝",
		MsgStateDuplicate: "重复",
		MsgStateVoided:    "已撤销",
		MsgStatePending:   "待入账",
		MsgAllow:          "授权",

		MsgXReport:       "X 报表(当日至今)",
		MsgRefresh:       "刷新",
		MsgTellerOnly:    "柜员模式仅适用于银行注册为柜员台的收银台，以及具有柜员角色的操作员。",
		MsgSettingsIdle:  "空闲多少分钟后锁定(0：不锁定)",
		MsgSettingsSaved: "已保存。",
		MsgSave:          "保存",
		MsgReaderChoice:  "收银使用的读卡器",

		MsgRoleCashier:    "收银员",
		MsgRoleSupervisor: "主管",
		MsgRoleTeller:     "柜员",
		MsgRoleAdmin:      "管理员",

		MsgReportZTitle:    "Z 报表 第 %d 号",
		MsgReportXNote:     "查看当日至今的交易，不结账。",
		MsgReportZNote:     "已日结。本报表已封存，不可更改。",
		MsgReportShop:      "商户名称",
		MsgReportMerchant:  "商户号",
		MsgReportTerminal:  "终端号",
		MsgReportEntries:   "流水号",
		MsgReportRange:     "%d 至 %d",
		MsgReportNoEntries: "无(%d 之后)",
		MsgReportMade:      "生成时间",
		MsgReportByState:   "按银行处理状态汇总",
		MsgReportState:     "状态",
		MsgReportCount:     "笔数",
		MsgReportAmount:    "金额(元)",
		MsgReportTotal:     "未撤销交易合计",
		MsgReportDuplicate: "其中银行已有(重复)",
		MsgReportByCashier: "按收银员汇总(不含撤销)",
		MsgReportByHour:    "按小时销售额(不含撤销)",
		MsgReportHour:      "%02d:00 至 %02d:00",
		MsgReportCNY:       "元",
		MsgReportNoSales:   "本期无交易。",
		MsgReportSeal:      "封存校验码(SHA-256)",
		MsgReportSigned:    "核对签字",
		MsgReportPage:      "第 %d 页，共 %d 页",
	},
}

// reasons are the kernel's reasons in languages other than English, by code.
var reasons = map[string]map[string]string{
	SimplifiedChinese: {
		"approved":                  "交易成功。",
		"approved_recovered":        "交易成功：之前中断的交易已完成。",
		"declined_by_card":          "被顾客钱包拒绝。",
		"card_wants_online":         "拒绝：钱包要求联机支付，本收银台无法联机。",
		"insufficient_balance":      "拒绝：钱包电子现金余额不足。",
		"over_card_limit":           "拒绝：金额超过钱包单笔限额。",
		"over_terminal_limit":       "拒绝：金额超过本收银台的脱机限额。",
		"card_not_supported":        "拒绝：本店不受理该卡或钱包。",
		"hotlisted":                 "拒绝：该钱包已被冻结。",
		"application_expired":       "拒绝：钱包已过期。",
		"application_not_effective": "拒绝：钱包尚未生效。",
		"service_not_allowed":       "拒绝：该钱包不可用于此交易。",
		"cda_failed":                "拒绝：无法验证钱包。",
		"oda_not_performed":         "拒绝：钱包不支持脱机认证。",
		"capk_missing":              "拒绝：收银台缺少验证钱包的密钥，请更新密钥。",
		"icc_data_missing":          "拒绝：钱包未提供验证所需的数据。",
		"torn":                      "付款过程中手机被移开。请顾客用同一部手机再次轻触。",
		"card_left":                 "手机移开过早，未扣款，请再次轻触。",
		"card_error":                "钱包的应答无法使用，未扣款。",
		"cancelled":                 "已取消，未扣款。",
	},
}
