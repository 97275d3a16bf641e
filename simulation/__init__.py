"""SimPy discrete-event simulation of the network executing a plan or inventory policies under
random demand, lead times and disruptions; Monte Carlo replications; KPIs.
"""
