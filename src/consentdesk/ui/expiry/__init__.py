"""The Expiry & withdrawals page: releases ending soon and photos that lost their clearance."""
