module UsersHelper
  def greeting(user)
    raw("<p>Welcome back, " + user + "!</p>")
  end
end
