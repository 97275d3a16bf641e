"""The demand model: expected demand and joint scenarios per customer x product x bucket, built
from CRM order history and the sales pipeline (:mod:`models.crm`).

Demand is dated by delivery (the order's ``requested_date``), in the network calendar's buckets,
from the calendar's start (the forecast origin). It has three parts, added up:

1. **Firm orders**: open orders whose delivery falls in the horizon (past-due ones in its
   first bucket); shipped and cancelled orders are not demand any more.
2. **Run rate**: orders that did not come from an opportunity, still to be placed. Per product,
   the weekly rate of demand x_p(t) (each customer's orders spread over the weeks until its next
   order, so that ordering cycles do not pass for noise) is a quasi-Poisson harmonic regression
   (trend + yearly Fourier terms, chosen by QAIC; :func:`models.forecast.harmonic_regression`).
   Each customer's share of it is the level of its own orders deseasonalised by the product's
   fit, y_cp(t) / x_p(t), by the method its Syntetos-Boylan class calls for (SES, Croston-SBA
   or ADIDA), and the shares are normalised to 1 per product: top-down reconciliation with
   forecast proportions, so thin and intermittent series borrow the product's seasonality and
   stay coherent with it. When orders come is a discrete renewal process per customer x
   product (the empirical gaps between ordering buckets, shrunk towards a geometric law),
   started from the time since the last order: a customer who orders every 4 weeks is expected
   in the weeks its cycle falls on. Orders then land after the order-to-delivery lag observed
   in the history.
3. **Pipeline**: each open opportunity is won with the win rate of its stage, calibrated from the
   closed opportunities (won / closed by the stage they closed from, with a weak beta prior of
   ``win_rate_prior`` pseudo-opportunities at the CRM's own probability), as a whole, and lands
   at its expected close date plus the slippage observed on closed opportunities (conditioned
   on not having closed yet), plus the close-to-order lag of won opportunities and the
   order-to-delivery lag. Orders linked to an opportunity are never run rate, and an open
   opportunity's quantity already ordered is not counted again.

:meth:`DemandModel.sample` draws joint scenarios of the same model (lognormal uncertainty of
each product's level and each customer's share, renewal timing, gamma order sizes, each
opportunity won or lost whole); the expected demand is the exact mean of those draws, and its
``sd`` and the quantiles come from ``FitOptions.samples`` draws with ``FitOptions.seed``.
:func:`backtest` refits on the history 13 weeks before the origin and scores the forecast
against what was then ordered for those weeks, and against a seasonal-naive forecast.

The code, one topic a module: :mod:`models.demand_fit` (options, stage win rates, fitting the
three parts; the choice of forecasting library), :mod:`models.demand_sampling` (joint
scenarios), :mod:`models.demand_model` (:class:`DemandModel`, what a fitted model gives) and
:mod:`models.demand_backtest`. This module gathers their public names.
"""

from chainlab.models.demand_backtest import Backtest, backtest, band_coverage
from chainlab.models.demand_fit import FitOptions, stage_win_rates
from chainlab.models.demand_model import DemandModel
from chainlab.models.demand_sampling import DemandScenarios

__all__ = ["Backtest", "DemandModel", "DemandScenarios", "FitOptions", "backtest", "band_coverage",
           "stage_win_rates"]
