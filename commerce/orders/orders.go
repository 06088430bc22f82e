// Package orders owns orders after checkout: their status machine, payment,
// cancellation (which returns stock and refunds), and the lists a customer
// and staff read.
//
//	PENDING_PAYMENT -> PAID -> FULFILLED -> DELIVERED
//	PENDING_PAYMENT -> CANCELLED, PAID -> CANCELLED (refunded)
package orders

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/inventory"
	"storefront/commerce/payment"
	"storefront/commerce/txn"
	"storefront/ent"
	"storefront/ent/order"
	"storefront/ent/orderline"
	"storefront/ent/schematype"
	"storefront/relay/paging"
)

// transitions lists the legal moves of the status machine.
var transitions = map[order.Status][]order.Status{
	order.StatusPENDING_PAYMENT: {order.StatusPAID, order.StatusCANCELLED},
	order.StatusPAID:            {order.StatusFULFILLED, order.StatusCANCELLED},
	order.StatusFULFILLED:       {order.StatusDELIVERED},
}

// MaxHistory is the most status events an order has: one when it is placed
// and one per move, and the moves go only forward (TestMaxHistory walks
// the machine). The API's cost model relies on it.
const MaxHistory = 4

// CanMove reports whether an order may go from one status to another.
func CanMove(from, to order.Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Service manages orders.
type Service struct {
	client    *ent.Client
	inventory *inventory.Service
	payments  payment.Provider
	logger    *slog.Logger
	now       func() time.Time
}

// New returns an orders service.
func New(client *ent.Client, inv *inventory.Service, payments payment.Provider, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{client: client, inventory: inv, payments: payments, logger: logger, now: time.Now}
}

var errNoOrder = &commerce.Error{Code: commerce.NotFound, Message: "no such order", Field: []string{"id"}}

// Get returns an order the viewer may see (their own, a guest order named
// by its ID, any for staff), or a NotFound error.
func (s *Service) Get(ctx context.Context, id int) (*ent.Order, error) {
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, order.Table, id)
	o, err := s.client.Order.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, errNoOrder
	}
	return o, err
}

// ForCustomer lists a customer's orders, newest first. The privacy rules
// show a customer only their own and staff anyone's. With columns, it
// reads only those (and the ID and created_at, which paging needs): the
// fields a page shows.
func (s *Service) ForCustomer(ctx context.Context, customerID int, page paging.Page, columns ...string) (*ent.OrderConnection, error) {
	page, err := page.Normalize()
	if err != nil {
		return nil, err
	}
	list := paging.List{Name: fmt.Sprintf("customer:%d/orders", customerID), Sort: "CREATED_AT", Value: paging.TimeValue}
	if page, err = page.Bind(list); err != nil {
		return nil, err
	}
	q := s.client.Order.Query().Where(order.CustomerID(customerID))
	if len(columns) > 0 {
		q.Select(columns...) // the order's column is added by Paginate
	}
	conn, err := q.Paginate(ctx, page.After, page.First, page.Before, page.Last, newestFirst())
	if err != nil {
		return nil, err
	}
	sealOrders(list, conn)
	return conn, nil
}

func sealOrders(list paging.List, conn *ent.OrderConnection) {
	paging.Seal(list, conn.Edges, func(e *ent.OrderEdge) *ent.Cursor { return &e.Cursor }, &conn.PageInfo)
}

// orderList is the staff list of orders, newest first.
var orderList = paging.List{Name: "orders", Sort: "CREATED_AT", Value: paging.TimeValue}

// Filter narrows the staff list of orders.
type Filter struct {
	Status *order.Status
}

// List lists all orders, newest first, for staff; everyone else gets an
// empty list (the rules hide other people's orders, and guest orders not
// named by ID). Errors: Invalid (paging).
func (s *Service) List(ctx context.Context, page paging.Page, f Filter) (*ent.OrderConnection, error) {
	page, err := page.Normalize()
	if err != nil {
		return nil, err
	}
	q := s.client.Order.Query()
	if access.RequireStaff(ctx) != nil {
		// Not staff (access decides): an empty list. Customers read their
		// own orders through viewer.orders.
		q.Where(order.IDIn())
	}
	if f.Status != nil {
		q.Where(order.StatusEQ(*f.Status))
	}
	if page, err = page.Bind(orderList); err != nil {
		return nil, err
	}
	conn, err := q.Paginate(ctx, page.After, page.First, page.Before, page.Last, newestFirst())
	if err != nil {
		return nil, err
	}
	sealOrders(orderList, conn)
	return conn, nil
}

func newestFirst() ent.OrderPaginateOption {
	return ent.WithOrderOrder(&ent.OrderOrder{Direction: "DESC", Field: ent.OrderOrderFieldCreatedAt})
}

// Move takes an order from its status to another, with the side effects of
// the move: cancellation returns the stock (and refunds a paid order).
// Concurrent moves of one order are serialised and each happens once: of
// two concurrent cancellations one succeeds and the other is refused.
// Errors: NotFound, Conflict (an illegal move), Forbidden via the rules.
func (s *Service) Move(ctx context.Context, id int, to order.Status, note string) (*ent.Order, error) {
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, order.Table, id)
	var refund string
	var o *ent.Order
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		cur, err := lockOrder(ctx, tx, id)
		if err != nil {
			return err
		}
		if !CanMove(cur.Status, to) {
			return commerce.Errorf(commerce.Conflict, "an order that is %s cannot become %s", cur.Status, to)
		}
		// The status guard makes the move happen once even without row locks.
		n, err := tx.Order.Update().
			Where(order.ID(id), order.StatusEQ(cur.Status)).
			SetStatus(to).SetUpdatedAt(s.now()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("orders: move: %w", err)
		}
		if n == 0 {
			return commerce.Errorf(commerce.Conflict, "the order changed meanwhile; reload it")
		}
		if err := tx.OrderEvent.Create().SetOrderID(id).SetStatus(string(to)).SetNote(note).Exec(ctx); err != nil {
			return err
		}
		if to == order.StatusCANCELLED {
			if err := s.returnStock(ctx, tx, id); err != nil {
				return err
			}
			if cur.Status == order.StatusPAID && cur.PaymentID != nil {
				refund = *cur.PaymentID
			}
		}
		o, err = tx.Order.Get(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refund != "" {
		// The cancellation stands whatever the provider says; a failed refund
		// is logged for a person to follow up.
		if err := s.payments.Refund(ctx, refund); err != nil {
			s.logger.ErrorContext(ctx, "orders: refund failed", "order", id, "payment", refund, "err", err)
		}
	}
	return txn.Detach(ctx, o), nil
}

func (s *Service) returnStock(ctx context.Context, tx *ent.Client, orderID int) error {
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(orderID)).All(ctx)
	if err != nil {
		return err
	}
	alloc := map[int][]schematype.Allocation{}
	for _, l := range lines {
		alloc[l.VariantID] = append(alloc[l.VariantID], l.Allocations...)
	}
	return s.inventory.Return(access.System(ctx), tx, alloc)
}

// Pay takes the payment of a PENDING_PAYMENT order the viewer may see and
// marks it PAID. Errors: NotFound, Conflict (not awaiting payment),
// PAYMENT_DECLINED.
func (s *Service) Pay(ctx context.Context, id int, token string) (*ent.Order, error) {
	o, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.Status != order.StatusPENDING_PAYMENT {
		return nil, commerce.Errorf(commerce.Conflict, "the order is %s, not waiting for payment", o.Status)
	}
	auth, err := s.payments.Authorize(ctx, payment.AuthorizeRequest{
		Amount: o.Total, Currency: o.CurrencyCode, Token: token,
		IdempotencyKey: fmt.Sprintf("order-%d-%s", o.ID, token), Reference: o.Number,
	})
	if err != nil {
		return nil, err
	}
	if err := s.payments.Capture(ctx, auth.ID); err != nil {
		return nil, err
	}
	paid, ours, err := s.markPaid(access.System(ctx), id, auth.ID)
	if err != nil {
		if !ours {
			// The order was paid by another request, or cancelled,
			// meanwhile: give this money back. Never when the order holds
			// this very authorization (a concurrent retry with the same token
			// gets the same authorization from the provider): that money
			// paid the order.
			if rerr := s.payments.Refund(ctx, auth.ID); rerr != nil {
				s.logger.ErrorContext(ctx, "orders: refund of a surplus payment failed", "order", id, "payment", auth.ID, "err", rerr)
			}
		}
		return nil, err
	}
	return paid, nil
}

// markPaid records the payment and moves the order from PENDING_PAYMENT to
// PAID in one transaction, with the order's row locked, so that of
// concurrent payments exactly one pays the order and the order's payment ID
// always names the money that paid it. ours reports whether the order holds
// paymentID (paid now, or earlier by the same authorization); an order
// already paid with paymentID is returned as paid.
func (s *Service) markPaid(ctx context.Context, id int, paymentID string) (o *ent.Order, ours bool, err error) {
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, order.Table, id)
	err = txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		cur, err := lockOrder(ctx, tx, id)
		if err != nil {
			return err
		}
		ours = cur.PaymentID != nil && *cur.PaymentID == paymentID
		if cur.Status != order.StatusPENDING_PAYMENT {
			if ours && cur.Status != order.StatusCANCELLED {
				o = cur
				return nil
			}
			return commerce.Errorf(commerce.Conflict, "the order is %s, not waiting for payment", cur.Status)
		}
		n, err := tx.Order.Update().
			Where(order.ID(id), order.StatusEQ(order.StatusPENDING_PAYMENT)).
			SetStatus(order.StatusPAID).SetPaymentID(paymentID).SetUpdatedAt(s.now()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("orders: record payment: %w", err)
		}
		if n == 0 {
			return commerce.Errorf(commerce.Conflict, "the order changed meanwhile; reload it")
		}
		if err := tx.OrderEvent.Create().SetOrderID(id).SetStatus(string(order.StatusPAID)).SetNote("payment captured").Exec(ctx); err != nil {
			return err
		}
		o, err = tx.Order.Get(ctx, id)
		return err
	})
	if err != nil {
		// ours is what the order held before this transaction (which
		// rolled back).
		return nil, ours, err
	}
	return txn.Detach(ctx, o), true, nil
}

// ExpireUnpaid cancels orders that have waited for payment longer than ttl,
// returning their stock, so that abandoned orders do not hold stock
// forever. It returns how many it cancelled.
func (s *Service) ExpireUnpaid(ctx context.Context, ttl time.Duration) (int, error) {
	sys := access.System(ctx)
	ids, err := s.client.Order.Query().
		Where(order.StatusEQ(order.StatusPENDING_PAYMENT), order.CreatedAtLT(s.now().Add(-ttl))).
		IDs(sys)
	if err != nil {
		return 0, fmt.Errorf("orders: find unpaid: %w", err)
	}
	n := 0
	for _, id := range ids {
		if _, err := s.Move(sys, id, order.StatusCANCELLED, "not paid in time"); err == nil {
			n++
		} else if commerce.ErrorCode(err) != commerce.Conflict {
			return n, err
		}
	}
	return n, nil
}

// lockOrder loads an order the viewer may see, locked until the end of the
// transaction. Errors: NotFound.
func lockOrder(ctx context.Context, tx *ent.Client, id int) (*ent.Order, error) {
	q := tx.Order.Query().Where(order.ID(id))
	q.Modify(txn.LockRows)
	o, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errNoOrder
	}
	return o, err
}
