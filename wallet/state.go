package wallet

import (
	"bytes"
	"errors"
	"fmt"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

const stateFormat = 1

// state is what the wallet file holds. It is a secret: the ICC private key
// and the card's master keys are in it.
type state struct {
	Format        int                      `json:"format"`
	Perso         issuance.Personalisation `json:"personalisation"`
	Key           *oda.PrivateKey          `json:"icc_key"`
	Balance       int64                    `json:"balance"`
	ATC           uint16                   `json:"atc"`
	LastOnlineATC uint16                   `json:"last_online_atc"`
	Log           []LogEntry               `json:"log"`
	// Last is the last first GENERATE AC answer, kept for RECOVER AC.
	Last *lastAnswer `json:"last_generate_ac,omitempty"`
}

// lastAnswer is a GENERATE AC answer and the unpredictable number of the
// command it answered.
type lastAnswer struct {
	UN     issuance.Hex `json:"un"`
	ATC    uint16       `json:"atc"`
	Answer issuance.Hex `json:"answer"` // template 77, without the status word
}

func (s *state) validate() error {
	switch {
	case s.Format != stateFormat:
		return fmt.Errorf("wallet file format %d, this program reads %d", s.Format, stateFormat)
	case s.Key == nil:
		return errors.New("wallet file has no ICC private key")
	case s.Balance < 0 || s.Balance > issuance.MaxAmount:
		return fmt.Errorf("balance %d out of range", s.Balance)
	}
	if err := s.Perso.Validate(); err != nil {
		return err
	}
	if !bytes.Equal(s.Key.Public().Modulus, s.Perso.ICCModulus) {
		return errors.New("the ICC private key is not the key the issuer certified")
	}
	return nil
}
