package bank

// The exception queue's teller calls, passed to the Tx under batchTx as
// batchtx_pass.go passes the others: clearing never asks them, but batchTx
// must be a whole Tx.

func (t *batchTx) ExceptionQueue(state ExceptionState, limit int) ([]Exception, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.ExceptionQueue(state, limit)
}

func (t *batchTx) Exception(id int64) (Exception, error) {
	if err := t.pass(); err != nil {
		return Exception{}, err
	}
	return t.tx.Exception(id)
}

func (t *batchTx) ResolveException(id int64, r Resolution) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.ResolveException(id, r)
}

func (t *batchTx) ResolveWalletExceptions(pan, psn string, kinds []string, r Resolution) (int, error) {
	if err := t.pass(); err != nil {
		return 0, err
	}
	return t.tx.ResolveWalletExceptions(pan, psn, kinds, r)
}
